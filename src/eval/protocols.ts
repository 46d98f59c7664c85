// The evaluation protocols as a registry: one evaluator per protocol, each taking probe and gallery
// features of the same test images (paired row by row) and returning its result and summary lines.
// `r3an eval <protocol>` and experiments (experiment/evaluate.ts) both run them from here; adding a
// protocol is one entry.
import { closedSetIdentification, identificationWithDistractors, type IdentificationResult } from './identification.js';
import type { IndexedPair } from './lfw-pairs.js';
import { kFoldAccuracy, roc, rocSample, samplePairs, scorePairs, tarAtFar, type KFoldResult, type TarAtFar } from './verification.js';

export interface ProtocolInput {
  probes: Float32Array;
  gallery: Float32Array;
  identities: string[];
  dim: number;
  /** identification: gallery-space distractors (MegaFace style); absent or empty = closed set */
  distractors?: Float32Array;
  /** verification: the pairs to score (e.g. LFW pairs.txt); absent = sampled with `seed` */
  pairs?: IndexedPair[];
  seed?: number;
}

export type IdentificationEval = IdentificationResult & { protocol: 'distractors' | 'closed-set' };
export interface VerificationEval {
  pairs: number;
  accuracy: KFoldResult;
  tarAtFar: TarAtFar[];
  roc: { far: number; tar: number }[];
}

export interface Protocol<R> {
  /** one line for help texts */
  summary: string;
  run(input: ProtocolInput): Promise<R>;
  /** the result as console lines */
  describe(result: R): string[];
}

const pct = (x: number) => `${(100 * x).toFixed(2)}`;

const identification: Protocol<IdentificationEval> = {
  summary:
    'MegaFace-style identification: every ordered (gallery, probe) pair of an identity, the mate hidden among the distractors; CMC to rank 10',
  run: async ({ probes, gallery, identities, dim, distractors }) =>
    distractors && distractors.length > 0
      ? { ...(await identificationWithDistractors({ probes, gallery, identities, distractors, dim })), protocol: 'distractors' }
      : { ...(await closedSetIdentification(probes, gallery, identities, dim)), protocol: 'closed-set' },
  describe: (r) => [
    `identification (${r.protocol === 'distractors' ? `${r.distractors} distractors` : "other identities' gallery images as distractors"}): rank-1 ${pct(r.rank1)}% over ${r.pairs} probe/mate pairs (${pct(r.rank1PerPerson)}% averaged per person)`,
    `CMC: ${r.cmc.map((c, k) => `r${k + 1} ${pct(c)}`).join('  ')}`,
  ],
};

const verification: Protocol<VerificationEval> = {
  summary: 'verification: ROC, TAR at FAR 1e-1…1e-4 and 10-fold accuracy (threshold chosen on 9 folds, applied to the 10th)',
  run: async ({ probes, gallery, identities, dim, pairs, seed }) => {
    const scored = scorePairs(probes, gallery, dim, pairs ?? samplePairs(identities, seed ?? 1));
    return { pairs: scored.length, accuracy: kFoldAccuracy(scored), tarAtFar: tarAtFar(scored), roc: rocSample(roc(scored)) };
  },
  describe: (r) => [
    `verification on ${r.pairs} pairs: ${r.accuracy.folds.length}-fold accuracy ${pct(r.accuracy.mean)} ± ${pct(r.accuracy.std)}%`,
    r.tarAtFar.map((t) => `TAR@FAR=${t.far}: ${pct(t.tar)}%`).join('  '),
  ],
};

export const PROTOCOLS = { identification, verification } as const;
export type ProtocolId = keyof typeof PROTOCOLS;
export function isProtocol(s: string): s is ProtocolId {
  return Object.hasOwn(PROTOCOLS, s);
}
