// Per-epoch validation on the held-out slice: how close mapped features land to the true target
// features, and a quick identification top-1 (mapped probe vs the true target features of the other
// validation items, among training-side distractors as the test protocol has them), with the output
// gain (output-gain.ts) that scores best.
import * as tf from '@tensorflow/tfjs';
import { l2NormalizeRows, meanRowCosine, similarityMatrix } from '../eval/similarity.js';
import { predictRows } from '../nn/predict.js';
import { applyGainRows } from '../nn/output-gain.js';
import type { PairedData } from './paired-data.js';

export interface ValidationMetrics {
  /** mean cosine between mapped and true target features */
  cosine: number;
  /** the same after subtracting the training targets' mean from both: what the mean predictor cannot fake */
  centredCosine?: number;
  /** the mean predictor's raw cosine (every probe mapped to the training targets' mean): the line to beat */
  meanCosine?: number;
  top1?: number;
  probes?: number;
  /** the mean predictor's top-1 (every probe mapped to the training targets' mean) */
  meanTop1?: number;
  /** how many distractors the top-1 searched among */
  distractors?: number;
  /** the output gain these metrics were measured with, chosen on top-1 (absent: 1) */
  gain?: number;
}

/**
 * Quick top-1: each mapped probe searches the true target features of the other validation items and
 * the `distractors` (target features of other people, never a hit); a hit when its nearest neighbour
 * is the same person. Only probes whose identity has another item count.
 */
export function quickTop1(
  mapped: Float32Array,
  target: Float32Array,
  dim: number,
  identities: string[],
  distractors?: Float32Array,
): { top1: number; probes: number } | undefined {
  const n = identities.length;
  const counts = new Map<string, number>();
  for (const id of identities) counts.set(id, (counts.get(id) ?? 0) + 1);
  const probes = identities.map((id, i) => (id !== '' && counts.get(id)! >= 2 ? i : -1)).filter((i) => i >= 0);
  if (probes.length === 0) return undefined;
  const P = l2NormalizeRows(mapped, dim);
  const sims = similarityMatrix(P, l2NormalizeRows(target, dim), dim);
  const nd = distractors ? distractors.length / dim : 0;
  const dSims = distractors && nd > 0 ? similarityMatrix(P, l2NormalizeRows(distractors, dim), dim) : undefined;
  let hits = 0;
  for (const p of probes) {
    let best = -Infinity,
      arg = -1;
    for (let g = 0; g < n; g++)
      if (g !== p && sims[p * n + g] > best) {
        best = sims[p * n + g];
        arg = g;
      }
    let beaten = false;
    if (dSims) for (let g = 0; g < nd && !beaten; g++) beaten = dSims[p * nd + g] >= best;
    if (!beaten && identities[arg] === identities[p]) hits++;
  }
  return { top1: hits / probes.length, probes: probes.length };
}

/** Rows minus a vector, into a new array. */
function centre(x: Float32Array, mean: Float32Array): Float32Array {
  const d = mean.length;
  return Float32Array.from(x, (v, i) => v - mean[i % d]);
}

export interface ValidationContext {
  /** the training targets' mean: adds the centred cosine and the mean predictor; needed for gains ≠ 1 */
  targetMean?: Float32Array;
  /** target features of training identities, searched by every probe (the test protocol's distractors) */
  distractors?: Float32Array;
  /** output gains to choose from (default: 1 only) */
  gains?: readonly number[];
}

/**
 * Validation of a mapping on held-out identities, at the gain of `ctx.gains` with the best top-1 (ties
 * to the smaller gain). Non-finite output is an error, never a score.
 */
export function validate(mapping: tf.LayersModel, val: PairedData, ctx: ValidationContext = {}): ValidationMetrics {
  const raw = predictRows(mapping, val.x, val.ds);
  if (!raw.every(Number.isFinite)) throw new Error('the mapping produced non-finite values on the validation slice (training diverged)');
  const { targetMean, distractors } = ctx;
  const gains = targetMean ? (ctx.gains ?? [1]) : [1];
  let gain = gains[0],
    mapped = raw,
    q: ReturnType<typeof quickTop1>;
  for (const g of gains) {
    const m = g === 1 ? raw : applyGainRows(raw, targetMean!, g);
    const r = quickTop1(m, val.y, val.dt, val.identities, distractors);
    // without identification probes (label-free validation) nothing is compared: the gain stays the first, 1
    if (r && (q === undefined || r.top1 > q.top1)) {
      q = r;
      gain = g;
      mapped = m;
    }
  }
  const meanRows = targetMean ? new Float32Array(val.y.length).map((_, i) => targetMean[i % val.dt]) : undefined;
  const meanQ = meanRows ? quickTop1(meanRows, val.y, val.dt, val.identities, distractors) : undefined;
  const extra =
    targetMean && meanRows
      ? {
          centredCosine: meanRowCosine(centre(mapped, targetMean), centre(val.y, targetMean), val.dt),
          meanCosine: meanRowCosine(meanRows, val.y, val.dt),
          ...(meanQ ? { meanTop1: meanQ.top1 } : {}),
        }
      : {};
  return {
    cosine: meanRowCosine(mapped, val.y, val.dt),
    ...extra,
    ...(q ?? {}),
    ...(distractors ? { distractors: distractors.length / val.dt } : {}),
    ...(gain !== 1 ? { gain } : {}),
  };
}

export const SELECTION_RULE =
  'validation identification top-1 on held-out training identities among training-side distractors (output gain chosen the same way), then centred cosine';

/**
 * Whether a is a better validation result than b: held-out identification top-1 first (when known),
 * then the centred cosine (raw cosine is what the mean predictor maximises), then raw cosine.
 */
export function isBetter(a: ValidationMetrics, b: ValidationMetrics): boolean {
  if (a.top1 != null && b.top1 != null && a.top1 !== b.top1) return a.top1 > b.top1;
  if (a.centredCosine != null && b.centredCosine != null && a.centredCosine !== b.centredCosine) return a.centredCosine > b.centredCosine;
  return a.cosine > b.cosine;
}
