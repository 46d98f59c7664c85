// Identification with distractors, MegaFace Challenge 1 style. For every identity with M ≥ 2 images and
// every ordered pair (i, j), i ≠ j: image i's gallery feature is hidden among the distractors and image j
// is the probe. Rank of the mate = 1 + #{d ∈ D : s(probe, d) ≥ s(probe, i)} (ties count against the
// mate). Cross-model: probes are (mapped) source features, gallery and distractors target features.
import { gatherRows, groupRows } from '../features/rows.js';
import { l2NormalizeRows } from './similarity.js';
import { topKSimilarities, type TopKOptions } from './topk.js';

export interface IdentificationInput {
  /** probe features, one row per image (source or mapped space) */
  probes: Float32Array;
  /** gallery features of the same images, same row order (target space) */
  gallery: Float32Array;
  identities: string[];
  distractors: Float32Array;
  dim: number;
  maxRank?: number;
}

export interface IdentificationResult {
  /** CMC[r-1] = fraction of (probe, mate) pairs found at rank ≤ r */
  cmc: number[];
  rank1: number;
  /**
   * rank-1 per person, averaged over people: counting every ordered pair weights a person by n(n−1),
   * so one person with many images can make most of `rank1` (LFW: 236 of Colin Powell's images are
   * 75% of a test split's pairs); this weights every person alike
   */
  rank1PerPerson: number;
  pairs: number;
  probes: number;
  distractors: number;
}

/** The ranks of every (probe, mate) pair: the CMC over pairs, and rank-1 per person. */
class RankTally {
  private readonly hits: number[];
  private readonly perPerson = new Map<string, { hits: number; pairs: number }>();
  private pairs = 0;
  constructor(private readonly maxRank: number) {
    this.hits = new Array<number>(maxRank).fill(0);
  }
  add(id: string, rank: number): void {
    if (rank <= this.maxRank) for (let r = rank - 1; r < this.maxRank; r++) this.hits[r]++;
    const t = this.perPerson.get(id) ?? { hits: 0, pairs: 0 };
    t.hits += rank === 1 ? 1 : 0;
    t.pairs++;
    this.perPerson.set(id, t);
    this.pairs++;
  }
  result(probes: number, distractors: number): IdentificationResult {
    const cmc = this.hits.map((h) => (this.pairs ? h / this.pairs : NaN));
    const rates = [...this.perPerson.values()].map((t) => t.hits / t.pairs);
    const rank1PerPerson = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : NaN;
    return { cmc, rank1: cmc[0], rank1PerPerson, pairs: this.pairs, probes, distractors };
  }
}

/** Dot product of row j of P with row i of G. */
function dotRows(P: Float32Array, j: number, G: Float32Array, i: number, dim: number): number {
  let s = 0;
  for (let c = 0; c < dim; c++) s += P[j * dim + c] * G[i * dim + c];
  return s;
}

/** The rows of every identity with ≥ 2 images (the probes), in row order; unlabelled rows never probe. */
function probeRowsOf(byId: Map<string, number[]>): number[] {
  byId.delete('');
  return [...byId.values()]
    .filter((r) => r.length >= 2)
    .flat()
    .sort((a, b) => a - b);
}

/** Refuses non-finite features (a NaN similarity would compare false everywhere and rank as a hit). */
export function assertFinite(x: Float32Array, what: string): void {
  for (let i = 0; i < x.length; i++)
    if (!Number.isFinite(x[i]))
      throw new Error(`${what}: value ${i} is ${x[i]}; non-finite features cannot be evaluated (a diverged mapper?)`);
}

/** Identification needs ≥ 2 labelled identities with ≥ 2 images each: else every probe finds its own kind. */
export function assertIdentifiable(identities: string[]): void {
  const byId = groupRows(identities);
  const missing = byId.get('')?.length ?? 0;
  byId.delete('');
  const usable = [...byId.values()].filter((r) => r.length >= 2).length;
  if (usable < 2)
    throw new Error(
      `identification needs at least 2 identities with 2 or more images; these features have ${usable}${missing ? ` (${missing} items have no identity)` : ''}`,
    );
}

export async function identificationWithDistractors(input: IdentificationInput, opts: TopKOptions = {}): Promise<IdentificationResult> {
  const { dim, identities } = input;
  const maxRank = input.maxRank ?? 10;
  const n = identities.length;
  if (input.probes.length !== n * dim || input.gallery.length !== n * dim)
    throw new Error(`identification: probes and gallery must both be ${n}×${dim}`);
  assertFinite(input.probes, 'probes');
  assertFinite(input.gallery, 'gallery');
  assertFinite(input.distractors, 'distractors');
  assertIdentifiable(identities);
  const P = l2NormalizeRows(input.probes, dim),
    G = l2NormalizeRows(input.gallery, dim),
    D = l2NormalizeRows(input.distractors, dim);
  const byId = groupRows(identities);
  const probeRows = probeRowsOf(byId);
  const nd = D.length / dim;
  const k = Math.min(maxRank, nd);
  // The k highest distractor similarities per probe decide every rank ≤ k.
  const probeMat = gatherRows(P, dim, probeRows);
  const top = nd > 0 ? await topKSimilarities(probeMat, D, dim, k, opts) : undefined;
  const tally = new RankTally(maxRank);
  probeRows.forEach((j, pi) => {
    for (const i of byId.get(identities[j])!) {
      if (i === j) continue;
      const s = dotRows(P, j, G, i, dim);
      // number of distractors scoring ≥ s among the top k (more than k means rank > k)
      let above = 0;
      if (top) while (above < k && top.values[pi * k + above] >= s) above++;
      tally.add(identities[j], 1 + above);
    }
  });
  return tally.result(probeRows.length, nd);
}

/**
 * Without a distractor set: each (probe, mate) pair competes with the gallery images of every other
 * identity. One top-K search per probe over the whole gallery decides every rank ≤ maxRank: with
 * K = maxRank + (largest identity size), all different-identity entries scoring ≥ the mate are in the
 * list whenever there are fewer than maxRank of them.
 */
export async function closedSetIdentification(
  probes: Float32Array,
  gallery: Float32Array,
  identities: string[],
  dim: number,
  maxRank = 10,
  opts: TopKOptions = {},
): Promise<IdentificationResult> {
  assertFinite(probes, 'probes');
  assertFinite(gallery, 'gallery');
  assertIdentifiable(identities);
  const P = l2NormalizeRows(probes, dim),
    G = l2NormalizeRows(gallery, dim);
  const byId = groupRows(identities);
  const probeRows = probeRowsOf(byId);
  const n = identities.length;
  const k = Math.min(n, maxRank + Math.max(0, ...[...byId.values()].map((r) => r.length)));
  const top = await topKSimilarities(gatherRows(P, dim, probeRows), G, dim, k, opts);
  const tally = new RankTally(maxRank);
  probeRows.forEach((j, pi) => {
    const id = identities[j];
    for (const i of byId.get(id)!) {
      if (i === j) continue;
      const s = dotRows(P, j, G, i, dim);
      let above = 0;
      for (let t = 0; t < k && above < maxRank; t++) {
        const g = top.indices[pi * k + t];
        if (top.values[pi * k + t] < s) break;
        if (g >= 0 && identities[g] !== id) above++;
      }
      tally.add(id, 1 + above);
    }
  });
  return tally.result(probeRows.length, n);
}
