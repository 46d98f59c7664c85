// One evaluation of a (probe space → gallery space) setting on the test identities: identification with
// the singleton identities as distractors (MegaFace style; closed set when there are none) and
// verification (10-fold accuracy, TAR@FAR, a sampled ROC for plots).
import { closedSetIdentification, identificationWithDistractors, type IdentificationResult } from '../eval/identification.js';
import { meanRowCosine } from '../eval/similarity.js';
import { kFoldAccuracy, roc, rocSample, samplePairs, scorePairs, tarAtFar, type KFoldResult, type TarAtFar } from '../eval/verification.js';

export interface SpaceEval {
  identification: IdentificationResult & { protocol: 'distractors' | 'closed-set' };
  verification: { pairs: number; accuracy: Omit<KFoldResult, 'folds'>; tarAtFar: TarAtFar[]; roc: { far: number; tar: number }[] };
  /** mean cosine between probe and gallery features of the same image (cross-model only) */
  cosine?: number;
}

export interface SpaceEvalInput {
  probes: Float32Array;
  gallery: Float32Array;
  identities: string[];
  distractors: Float32Array;
  dim: number;
  crossModel: boolean;
  seed: number;
}

export function evaluateSpace(input: SpaceEvalInput): SpaceEval {
  const { probes, gallery, identities, distractors, dim } = input;
  const identification = distractors.length > 0
    ? { ...identificationWithDistractors({ probes, gallery, identities, distractors, dim }), protocol: 'distractors' as const }
    : { ...closedSetIdentification(probes, gallery, identities, dim), protocol: 'closed-set' as const };
  const scored = scorePairs(probes, gallery, dim, samplePairs(identities, input.seed));
  const { mean, std } = kFoldAccuracy(scored);
  return {
    identification,
    verification: { pairs: scored.length, accuracy: { mean, std }, tarAtFar: tarAtFar(scored), roc: rocSample(roc(scored)) },
    ...(input.crossModel ? { cosine: meanRowCosine(probes, gallery, dim) } : {}),
  };
}
