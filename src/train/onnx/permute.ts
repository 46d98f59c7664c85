// Axis permutation of a row-major float32 array, as ONNX Transpose with `perm` defines it: out's axis i
// is the input's axis perm[i]. The training graphs take convolution kernels in ONNX's layout; the
// runner permutes TF.js's kernels once per update here instead of once per graph run inside (a
// 4×4×128×512 kernel: ≈ 12 ms per onnxruntime Transpose, in every micro-batch of three sub-steps).

export function permutedShape(shape: readonly number[], perm: readonly number[]): number[] {
  return perm.map((p) => shape[p]);
}

/** The permutation that undoes `perm`. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return inv;
}

/** `data` (row-major, `shape`) with its axes permuted; writes into `out` when given. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[], out = new Float32Array(data.length)): Float32Array {
  if (perm.length !== shape.length || [...perm].sort().some((p, i) => p !== i)) throw new Error(`permute: ${JSON.stringify(perm)} is not a permutation of ${shape.length} axes`);
  if (data.length !== shape.reduce((a, b) => a * b, 1) || out.length !== data.length) throw new Error(`permute: ${data.length} values for shape ${JSON.stringify(shape)}`);
  if (shape.length > 4) throw new Error(`permute: rank ${shape.length} > 4`);
  // as rank 4 (leading axes of size 1); per output axis its size, input stride and output stride
  const pad = 4 - shape.length;
  const s4 = [...new Array<number>(pad).fill(1), ...shape];
  const p4 = [...Array.from({ length: pad }, (_, i) => i), ...perm.map((p) => p + pad)];
  const inStride = [s4[1] * s4[2] * s4[3], s4[2] * s4[3], s4[3], 1];
  const size = p4.map((p) => s4[p]), src = p4.map((p) => inStride[p]);
  const dst = [size[1] * size[2] * size[3], size[2] * size[3], size[3], 1];
  // Loop order for the caches: the output's last two axes innermost (contiguous writes), just outside
  // them the axis the input is contiguous along, so each input line is used by consecutive iterations.
  const q = src.indexOf(1);
  const order = q < 2 ? [1 - q, q, 2, 3] : [0, 1, 2, 3];
  const [nA, nB, nC, nD] = order.map((k) => size[k]), [iA, iB, iC, iD] = order.map((k) => src[k]), [oA, oB, oC, oD] = order.map((k) => dst[k]);
  for (let a = 0; a < nA; a++) for (let b = 0; b < nB; b++) {
    const ia = a * iA + b * iB, oa = a * oA + b * oB;
    for (let c = 0; c < nC; c++) {
      let i = ia + c * iC, o = oa + c * oC;
      for (let d = 0; d < nD; d++, i += iD, o += oD) out[o] = data[i];
    }
  }
  return out;
}
