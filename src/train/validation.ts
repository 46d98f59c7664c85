// Per-epoch validation on the held-out slice: how close mapped features land to the true target
// features, and a quick closed-set identification top-1 (mapped probe vs true target gallery).
import * as tf from '@tensorflow/tfjs';
import { l2NormalizeRows, meanRowCosine, similarityMatrix } from '../eval/similarity.js';
import type { PairedData } from './paired-data.js';

export interface ValidationMetrics { cosine: number; top1?: number; probes?: number }

export function predictRows(model: tf.LayersModel, x: Float32Array, inDim: number, batch = 256): Float32Array {
  const n = x.length / inDim;
  const outDim = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
  const out = new Float32Array(n * outDim);
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const y = tf.tidy(() => model.predict(tf.tensor2d(x.subarray(s * inDim, e * inDim), [e - s, inDim])) as tf.Tensor);
    out.set(y.dataSync(), s * outDim);
    y.dispose();
  }
  return out;
}

/**
 * Quick top-1: each mapped probe searches the true target features of the other validation items;
 * a hit when its nearest neighbour is the same person. Only probes whose identity has another item count.
 */
export function quickTop1(mapped: Float32Array, target: Float32Array, dim: number, identities: string[]): { top1: number; probes: number } | undefined {
  const n = identities.length;
  const counts = new Map<string, number>();
  for (const id of identities) counts.set(id, (counts.get(id) ?? 0) + 1);
  const probes = identities.map((id, i) => (id !== '' && counts.get(id)! >= 2 ? i : -1)).filter((i) => i >= 0);
  if (probes.length === 0) return undefined;
  const sims = similarityMatrix(l2NormalizeRows(mapped, dim), l2NormalizeRows(target, dim), dim);
  let hits = 0;
  for (const p of probes) {
    let best = -Infinity, arg = -1;
    for (let g = 0; g < n; g++) if (g !== p && sims[p * n + g] > best) { best = sims[p * n + g]; arg = g; }
    if (identities[arg] === identities[p]) hits++;
  }
  return { top1: hits / probes.length, probes: probes.length };
}

export function validate(mapping: tf.LayersModel, val: PairedData): ValidationMetrics {
  const mapped = predictRows(mapping, val.x, val.ds);
  const q = quickTop1(mapped, val.y, val.dt, val.identities);
  return { cosine: meanRowCosine(mapped, val.y, val.dt), ...(q ?? {}) };
}

/** Whether a is a better validation result than b: top-1 first (when known), then cosine. */
export function isBetter(a: ValidationMetrics, b: ValidationMetrics): boolean {
  if (a.top1 != null && b.top1 != null && a.top1 !== b.top1) return a.top1 > b.top1;
  return a.cosine > b.cosine;
}
