// Exact cosine top-k of many probes against a large set, in chunks of both so that memory stays
// bounded (1,000,000 distractors × 512-d fit): a TF.js matrix product per block, then a merge.
import * as tf from '@tensorflow/tfjs';

export interface TopK {
  values: Float32Array;
  indices: Int32Array;
  k: number;
}

export interface TopKOptions {
  probeChunk?: number;
  setChunk?: number;
}

/**
 * For every probe row, the k largest dot products with the rows of `set` (unit-norm rows make these
 * cosines), sorted descending. Returns flat [probes × k] arrays; -Infinity/-1 pad when the set is smaller than k.
 */
export function topKSimilarities(probes: Float32Array, set: Float32Array, dim: number, k: number, opts: TopKOptions = {}): TopK {
  const np = probes.length / dim,
    ns = set.length / dim;
  const probeChunk = opts.probeChunk ?? 1024,
    setChunk = opts.setChunk ?? 32768;
  const values = new Float32Array(np * k).fill(-Infinity),
    indices = new Int32Array(np * k).fill(-1);
  for (let s0 = 0; s0 < ns; s0 += setChunk) {
    const s1 = Math.min(ns, s0 + setChunk);
    const kk = Math.min(k, s1 - s0);
    const setT = tf.tidy(() => tf.transpose(tf.tensor2d(set.subarray(s0 * dim, s1 * dim), [s1 - s0, dim])));
    try {
      for (let p0 = 0; p0 < np; p0 += probeChunk) {
        const p1 = Math.min(np, p0 + probeChunk);
        const [v, i] = tf.tidy(() => {
          const sims = tf.matMul(tf.tensor2d(probes.subarray(p0 * dim, p1 * dim), [p1 - p0, dim]), setT);
          const t = tf.topk(sims, kk, true);
          return [t.values.dataSync(), t.indices.dataSync()];
        });
        for (let r = 0; r < p1 - p0; r++) mergeRow(values, indices, (p0 + r) * k, k, v as Float32Array, i as Int32Array, r * kk, kk, s0);
      }
    } finally {
      setT.dispose();
    }
  }
  return { values, indices, k };
}

/** Merges a sorted block row into the running sorted top-k row. */
function mergeRow(
  values: Float32Array,
  indices: Int32Array,
  at: number,
  k: number,
  bv: Float32Array,
  bi: Int32Array,
  from: number,
  kk: number,
  offset: number,
): void {
  const cv = values.slice(at, at + k),
    ci = indices.slice(at, at + k);
  let a = 0,
    b = 0;
  for (let o = 0; o < k; o++) {
    if (b < kk && (a >= k || bv[from + b] > cv[a])) {
      values[at + o] = bv[from + b];
      indices[at + o] = bi[from + b] + offset;
      b++;
    } else {
      values[at + o] = cv[a];
      indices[at + o] = ci[a];
      a++;
    }
  }
}
