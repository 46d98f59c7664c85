// The paper's Optimization slide as data, once for both training engines: the sub-steps in order (D,
// G, E, joint G+E), which networks each trains, and the loss terms each minimises, as expressions over
// the micro-batch (x, y, faces) and the networks. trainers.ts evaluates them with TF.js, the
// onnxruntime graphs (onnx/step-graphs.ts) emit them; a change to a loss or a step is made here.
import type { LossSwitches } from './architectures.js';

export type NetId = 'g' | 'd' | 'e';
/** A value of the step: a micro-batch input, or a network applied (in training mode) to a value. */
export type Value = 'x' | 'y' | 'faces' | { net: NetId; of: Value };
/**
 * One part of a loss term, a sum over the micro-batch (micro-batches add up to a batch mean once
 * divided by the batch size): Σ softplus(sign·logit), or Σ ||a − b||² (per image: averaged over its
 * 56·56·3 pixel values).
 */
export type LossPart = { op: 'softplus'; sign: 1 | -1; of: Value } | { op: 'l2'; a: Value; b: Value; perImage?: boolean };
export type LossKey = 'd' | 'rec' | 'adv' | 'rep' | 'reg';
export interface LossTerm {
  key: LossKey;
  parts: LossPart[];
}
export type TrainStep = 'd' | 'g' | 'e' | 'reg';
export interface SubStepSpec {
  kind: TrainStep;
  /** the networks whose weights the step updates (the others are read only) */
  trains: NetId[];
  /** the loss terms under a Table 3 row's switches; no terms: the step does not run */
  terms(s: LossSwitches): LossTerm[];
}

const G = (of: Value): Value => ({ net: 'g', of }),
  D = (of: Value): Value => ({ net: 'd', of }),
  E = (of: Value): Value => ({ net: 'e', of });

export const SCHEDULE: readonly SubStepSpec[] = [
  {
    // discriminator: −log D(I) − log(1 − D(G(X))), D = sigmoid(logit)
    kind: 'd',
    trains: ['d'],
    terms: (s) =>
      s.recAdv
        ? [
            {
              key: 'd',
              parts: [
                { op: 'softplus', sign: -1, of: D('faces') },
                { op: 'softplus', sign: 1, of: D(G('x')) },
              ],
            },
          ]
        : [],
  },
  {
    // generator: λRec·LRec (pixel L2) + λAdv·LAdv (non-saturating −log D(G(X)); README, "Reading L_Adv")
    kind: 'g',
    trains: ['g'],
    terms: (s) => [
      ...(s.recL2 ? [{ key: 'rec' as const, parts: [{ op: 'l2' as const, a: G('x'), b: 'faces' as const, perImage: true }] }] : []),
      ...(s.recAdv ? [{ key: 'adv' as const, parts: [{ op: 'softplus' as const, sign: -1 as const, of: D(G('x')) }] }] : []),
    ],
  },
  // extractor on real faces: LRep = ||E(I) − Y||² (for unit vectors, 2 − 2·cos)
  { kind: 'e', trains: ['e'], terms: (s) => (s.rep ? [{ key: 'rep', parts: [{ op: 'l2', a: E('faces'), b: 'y' }] }] : []) },
  // the regression path, G and E jointly: LReg = ||E(G(X)) − Y||²
  { kind: 'reg', trains: ['g', 'e'], terms: (s) => (s.reg ? [{ key: 'reg', parts: [{ op: 'l2', a: E(G('x')), b: 'y' }] }] : []) },
];

/**
 * The weight of a sub-step's loss term in the objective it minimises: λRec and λAdv in the G step;
 * every other term alone in its step, weight 1 (its own Adam would cancel any constant weight).
 */
export function termWeight(key: string, lambda: { rec: number; adv: number }): number {
  return key === 'rec' ? lambda.rec : key === 'adv' ? lambda.adv : 1;
}

/** The sub-step of a kind. */
export function subStep(kind: TrainStep): SubStepSpec {
  return SCHEDULE.find((s) => s.kind === kind)!;
}

/** Every micro-batch input a step's terms read. */
export function inputsOf(terms: LossTerm[]): Set<'x' | 'y' | 'faces'> {
  const out = new Set<'x' | 'y' | 'faces'>();
  const visit = (v: Value): void => {
    if (typeof v === 'string') out.add(v);
    else visit(v.of);
  };
  for (const t of terms) for (const p of t.parts) (p.op === 'softplus' ? [p.of] : [p.a, p.b]).forEach(visit);
  return out;
}

/** A stable key of a value, so each network application is computed once per step. */
export const valueKey = (v: Value): string => (typeof v === 'string' ? v : `${v.net}(${valueKey(v.of)})`);
