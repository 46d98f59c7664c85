// One evaluation of a (probe space → gallery space) setting on the test identities with every protocol
// of the registry (eval/protocols.ts): identification with the singleton identities as distractors
// (MegaFace style; closed set when there are none) and verification (10-fold accuracy, TAR@FAR, a
// sampled ROC for plots).
import { meanRowCosine } from '../eval/similarity.js';
import { PROTOCOLS, type IdentificationEval, type VerificationEval } from '../eval/protocols.js';

export interface SpaceEval {
  identification: IdentificationEval;
  verification: Omit<VerificationEval, 'accuracy'> & { accuracy: Omit<VerificationEval['accuracy'], 'folds'> };
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

export async function evaluateSpace(input: SpaceEvalInput): Promise<SpaceEval> {
  const { probes, gallery, dim } = input;
  const {
    accuracy: { mean, std },
    ...verification
  } = await PROTOCOLS.verification.run(input);
  return {
    identification: await PROTOCOLS.identification.run(input),
    verification: { ...verification, accuracy: { mean, std } },
    ...(input.crossModel ? { cosine: meanRowCosine(probes, gallery, dim) } : {}),
  };
}
