// Verification: ROC over scored pairs, TAR at fixed FARs, and LFW-style k-fold accuracy (threshold
// chosen on k−1 folds, applied to the held-out fold; mean ± std over folds).
import { mulberry32 } from '../core/rng.js';

export interface ScoredPair {
  score: number;
  same: boolean;
  fold?: number;
}

export interface RocPoint {
  threshold: number;
  far: number;
  tar: number;
}

/** ROC points at every distinct threshold, from strict to lenient (accept when score ≥ threshold). */
export function roc(pairs: ScoredPair[]): RocPoint[] {
  const sorted = [...pairs].sort((a, b) => b.score - a.score);
  const pos = pairs.filter((p) => p.same).length,
    neg = pairs.length - pos;
  const out: RocPoint[] = [{ threshold: Infinity, far: 0, tar: 0 }];
  let tp = 0,
    fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].same) tp++;
    else fp++;
    if (i === sorted.length - 1 || sorted[i + 1].score !== sorted[i].score)
      out.push({ threshold: sorted[i].score, far: neg ? fp / neg : 0, tar: pos ? tp / pos : 0 });
  }
  return out;
}

export interface TarAtFar {
  far: number;
  tar: number;
  threshold: number;
}

/**
 * TAR at each requested FAR: the best TAR among thresholds whose FAR ≤ target. A FAR below 1/negatives
 * cannot be measured and is left out.
 */
export function tarAtFar(pairs: ScoredPair[], fars = [1e-1, 1e-2, 1e-3, 1e-4]): TarAtFar[] {
  const neg = pairs.filter((p) => !p.same).length;
  const curve = roc(pairs);
  return fars
    .filter((f) => neg > 0 && f >= 1 / neg)
    .map((far) => {
      let best = curve[0];
      for (const p of curve) if (p.far <= far && p.tar >= best.tar) best = p;
      return { far, tar: best.tar, threshold: best.threshold };
    });
}

function accuracyAt(pairs: ScoredPair[], threshold: number): number {
  let ok = 0;
  for (const p of pairs) if (p.score >= threshold === p.same) ok++;
  return pairs.length ? ok / pairs.length : NaN;
}

/**
 * The threshold (midpoint between neighbouring scores) with the highest accuracy on these pairs; the
 * lowest such threshold on ties. One sweep over the sorted scores (n log n): trying every candidate
 * against every pair took hours on the full LFW test split.
 */
export function bestThreshold(pairs: ScoredPair[]): number {
  const sorted = [...pairs].sort((a, b) => a.score - b.score);
  const n = sorted.length,
    sameTotal = sorted.filter((p) => p.same).length;
  // candidate below every score: all accepted
  let best = sorted[0].score - 1e-6,
    bestOk = sameTotal;
  let rejectedSame = 0,
    rejectedDiff = 0;
  for (let i = 0; i < n; i++) {
    if (sorted[i].same) rejectedSame++;
    else rejectedDiff++;
    if (i + 1 < n && sorted[i + 1].score === sorted[i].score) continue;
    // threshold just above sorted[i].score: every pair up to i rejected, the rest accepted
    const ok = sameTotal - rejectedSame + rejectedDiff;
    if (ok > bestOk) {
      bestOk = ok;
      best = i + 1 < n ? (sorted[i].score + sorted[i + 1].score) / 2 : sorted[i].score + 1e-6;
    }
  }
  return best;
}

export interface KFoldResult {
  mean: number;
  std: number;
  folds: { threshold: number; accuracy: number }[];
}

/** LFW protocol: for each fold, the threshold is chosen on the other folds and applied to it. */
export function kFoldAccuracy(pairs: ScoredPair[]): KFoldResult {
  const folds = [...new Set(pairs.map((p) => p.fold ?? 0))].sort((a, b) => a - b);
  if (folds.length < 2) throw new Error('kFoldAccuracy: pairs need at least two folds');
  const res = folds.map((f) => {
    const threshold = bestThreshold(pairs.filter((p) => p.fold !== f));
    return {
      threshold,
      accuracy: accuracyAt(
        pairs.filter((p) => p.fold === f),
        threshold,
      ),
    };
  });
  const mean = res.reduce((s, r) => s + r.accuracy, 0) / res.length;
  const std = Math.sqrt(res.reduce((s, r) => s + (r.accuracy - mean) ** 2, 0) / res.length);
  return { mean, std, folds: res };
}

/** Cosine of row a of A with row b of B for each pair of row indices. */
export function scorePairs(
  A: Float32Array,
  B: Float32Array,
  dim: number,
  pairs: { a: number; b: number; same: boolean; fold?: number }[],
): ScoredPair[] {
  if (!pairs.some((p) => p.same) || !pairs.some((p) => !p.same))
    throw new Error(
      `verification needs both same-identity and different-identity pairs; got ${pairs.filter((p) => p.same).length} same and ${pairs.filter((p) => !p.same).length} different`,
    );
  return pairs.map(({ a, b, same, fold }) => {
    let s = 0,
      na = 0,
      nb = 0;
    for (let k = 0; k < dim; k++) {
      const x = A[a * dim + k],
        y = B[b * dim + k];
      s += x * y;
      na += x * x;
      nb += y * y;
    }
    const score = na && nb ? s / Math.sqrt(na * nb) : 0;
    if (!Number.isFinite(score))
      throw new Error(`verification: pair (${a}, ${b}) scores ${score}; non-finite features cannot be evaluated (a diverged mapper?)`);
    return { score, same, ...(fold != null ? { fold } : {}) };
  });
}

/** All same-identity pairs plus as many random different-identity pairs (seeded), assigned to 10 folds. */
export function samplePairs(ids: string[], seed: number): { a: number; b: number; same: boolean; fold: number }[] {
  const rand = mulberry32(seed);
  const same: [number, number][] = [];
  for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) if (ids[i] && ids[i] === ids[j]) same.push([i, j]);
  const diff: [number, number][] = [];
  for (let tries = 0; diff.length < same.length && tries < same.length * 20; tries++) {
    const i = Math.floor(rand() * ids.length),
      j = Math.floor(rand() * ids.length);
    if (ids[i] && ids[j] && ids[i] !== ids[j]) diff.push([i, j]);
  }
  return [...same.map(([a, b]) => ({ a, b, same: true })), ...diff.map(([a, b]) => ({ a, b, same: false }))].map((p) => ({
    ...p,
    fold: Math.floor(rand() * 10),
  }));
}

/** At most `points` ROC points, evenly spaced in log FAR (for plots and results files). */
export function rocSample(curve: RocPoint[], points = 100): { far: number; tar: number }[] {
  const out: { far: number; tar: number }[] = [];
  let nextLog = -Infinity;
  const minLog = Math.log10(Math.max(1e-6, curve.find((p) => p.far > 0)?.far ?? 1));
  const step = -minLog / points;
  for (const p of curve) {
    if (p.far === 0) continue;
    const l = Math.log10(p.far);
    if (l >= nextLog) {
      out.push({ far: p.far, tar: p.tar });
      nextLog = l + step;
    }
  }
  return out;
}
