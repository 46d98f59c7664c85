// Exact cosine top-k of many probes against a large set, in chunks of both so that memory stays
// bounded (1,000,000 distractors × 512-d fit): per block a matrix product and a top-k, then a merge
// into each probe's running top-k. The block runs on onnxruntime where it is installed (its GEMM
// runs near the machine's matrix-product ceiling, the TF.js wasm one at a tenth of it), else TF.js.
import * as tf from '@tensorflow/tfjs';
import { tidyValues } from '../core/tidy-values.js';
import type { InferenceSession } from 'onnxruntime-node';
import { chooseRuntime, sessionOptions, type Ort, type Runtime } from '../backend/onnxruntime.js';
import { encodeOnnxModel } from '../onnx/proto.js';

export interface TopK {
  values: Float32Array;
  indices: Int32Array;
  k: number;
}

export interface TopKOptions {
  probeChunk?: number;
  setChunk?: number;
  /** where the blocks run (default auto: onnxruntime when installed) */
  runtime?: Runtime;
  /** onnxruntime threads (0 = all cores) */
  threads?: number;
}

/** One block: the kk largest dot products of each probe row with the block's set rows, sorted descending. */
type Block = (
  probes: Float32Array,
  np: number,
  set: Float32Array,
  ns: number,
  kk: number,
) => Promise<{ values: Float32Array; indices: Int32Array }>;

function tfjsBlock(dim: number): Block {
  return async (probes, np, set, ns, kk) => {
    const [values, indices] = tidyValues(() => {
      const t = tf.topk(tf.matMul(tf.tensor2d(probes, [np, dim]), tf.tensor2d(set, [ns, dim]), false, true), kk, true);
      return [t.values, t.indices];
    });
    return { values: values as Float32Array, indices: indices as Int32Array };
  };
}

const sessions = new Map<string, Promise<InferenceSession>>();

/** Gemm(probes, setᵀ) → TopK as one onnxruntime graph per (dim, kk, threads), built on first use. */
function onnxBlock(ort: Ort, dim: number, threads: number): Block {
  const session = (kk: number) => {
    const key = `${dim}:${kk}:${threads}`;
    let s = sessions.get(key);
    if (!s) {
      const bytes = encodeOnnxModel({
        name: 'topk_similarities',
        nodes: [
          { op: 'Gemm', inputs: ['probes', 'set'], outputs: ['sims'], attrs: { transB: 1 } },
          { op: 'TopK', inputs: ['sims', 'k'], outputs: ['values', 'indices'], attrs: { axis: 1, largest: 1, sorted: 1 } },
        ],
        initializers: [{ name: 'k', dims: [1], data: BigInt64Array.from([BigInt(kk)]) }],
        inputs: [
          { name: 'probes', dims: ['p', dim] },
          { name: 'set', dims: ['s', dim] },
        ],
        outputs: [
          { name: 'values', dims: ['p', kk] },
          { name: 'indices', dims: ['p', kk], type: 'int64' },
        ],
      });
      s = ort.InferenceSession.create(bytes, sessionOptions(threads));
      sessions.set(key, s);
    }
    return s;
  };
  return async (probes, np, set, ns, kk) => {
    const out = await (
      await session(kk)
    ).run({ probes: new ort.Tensor('float32', probes, [np, dim]), set: new ort.Tensor('float32', set, [ns, dim]) });
    const idx = out.indices.data as BigInt64Array;
    return { values: out.values.data as Float32Array, indices: Int32Array.from(idx, (v) => Number(v)) };
  };
}

/**
 * For every probe row, the k largest dot products with the rows of `set` (unit-norm rows make these
 * cosines), sorted descending. Returns flat [probes × k] arrays; -Infinity/-1 pad when the set is smaller than k.
 */
export async function topKSimilarities(
  probes: Float32Array,
  set: Float32Array,
  dim: number,
  k: number,
  opts: TopKOptions = {},
): Promise<TopK> {
  const np = probes.length / dim,
    ns = set.length / dim;
  const ort = await chooseRuntime(opts.runtime ?? 'auto');
  const block = ort ? onnxBlock(ort, dim, opts.threads ?? 0) : tfjsBlock(dim);
  const probeChunk = opts.probeChunk ?? 1024,
    setChunk = opts.setChunk ?? 32768;
  const values = new Float32Array(np * k).fill(-Infinity),
    indices = new Int32Array(np * k).fill(-1);
  for (let s0 = 0; s0 < ns; s0 += setChunk) {
    const s1 = Math.min(ns, s0 + setChunk);
    const kk = Math.min(k, s1 - s0);
    const setBlock = set.subarray(s0 * dim, s1 * dim);
    for (let p0 = 0; p0 < np; p0 += probeChunk) {
      const p1 = Math.min(np, p0 + probeChunk);
      const b = await block(probes.subarray(p0 * dim, p1 * dim), p1 - p0, setBlock, s1 - s0, kk);
      for (let r = 0; r < p1 - p0; r++) mergeRow(values, indices, (p0 + r) * k, k, b.values, b.indices, r * kk, kk, s0);
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
