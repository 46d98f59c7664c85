// Cosine similarity on row-major feature matrices: normalisation and chunked exact top-k search.
import * as tf from '@tensorflow/tfjs';

/** Unit-L2 rows (a zero row stays zero). Returns a new array. */
export function l2NormalizeRows(m: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < m.length / dim; r++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += m[r * dim + k] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let k = 0; k < dim; k++) out[r * dim + k] = m[r * dim + k] * inv;
  }
  return out;
}

/** Mean cosine between row i of a and row i of b. */
export function meanRowCosine(a: Float32Array, b: Float32Array, dim: number): number {
  const an = l2NormalizeRows(a, dim),
    bn = l2NormalizeRows(b, dim);
  const n = a.length / dim;
  let total = 0;
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += an[r * dim + k] * bn[r * dim + k];
    total += s;
  }
  return n ? total / n : NaN;
}

/** Cosine similarity matrix [probes × gallery] (both already unit-norm), computed on TF.js in row chunks. */
export function similarityMatrix(probes: Float32Array, gallery: Float32Array, dim: number, chunkRows = 4096): Float32Array {
  const np = probes.length / dim,
    ng = gallery.length / dim;
  const out = new Float32Array(np * ng);
  const g = tf.tensor2d(gallery, [ng, dim]);
  const gT = tf.transpose(g);
  try {
    for (let s = 0; s < np; s += chunkRows) {
      const e = Math.min(np, s + chunkRows);
      const block = tf.tidy(() => tf.matMul(tf.tensor2d(probes.subarray(s * dim, e * dim), [e - s, dim]), gT));
      out.set(block.dataSync(), s * ng);
      block.dispose();
    }
  } finally {
    g.dispose();
    gT.dispose();
  }
  return out;
}
