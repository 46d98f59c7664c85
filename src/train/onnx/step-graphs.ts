// The R³AN training sub-steps of schedule.ts (trainers.ts evaluates the same terms on TF.js) as ONNX
// graphs: inputs are a micro-batch and every weight the step reads; outputs are the loss sums, the
// gradients of the step's trainable weights and the batch statistics of every batch norm it applies.
import type * as tf from '@tensorflow/tfjs';
import { encodeOnnxModel } from '../../onnx/proto.js';
import { FACE_SIZE } from '../../core/face-size.js';
import type { LossSwitches } from '../architectures.js';
import { inputsOf, subStep, termWeight, valueKey, type LossPart, type TrainStep, type Value } from '../schedule.js';
import { add, sumSoftplus, sumSquaredDifference } from '../../onnx/ops.js';
import { NetworkEmitter, type BatchNormUse, type WeightInput } from '../../onnx/networks.js';
import { Tape } from '../../onnx/tape.js';

export type SubStep = TrainStep | 'stats';

export interface StepNets {
  g: tf.LayersModel;
  d: tf.LayersModel;
  e: tf.LayersModel;
}

/** What a built graph reads and writes, for the runner. */
export interface StepPlan {
  bytes: Uint8Array;
  /** the data inputs the graph declares (INPUT_X, INPUT_Y, INPUT_FACES) */
  data: Set<string>;
  weights: WeightInput[];
  /** output name per trainable weight, same order as weights.filter(trainable) */
  gradOutputs: string[];
  /** loss outputs: name → reported key */
  lossOutputs: Record<string, string>;
  batchNorms: (BatchNormUse & { meanOutput: string; varianceOutput: string })[];
}

export const INPUT_X = 'x',
  INPUT_Y = 'y',
  INPUT_FACES = 'faces';

/**
 * Builds one sub-step for a micro-batch of `n`: 'd' (discriminator on real vs G(X)), 'g' (generator on
 * λRec·LRec + λAdv·LAdv), 'e' (extractor on LRep), 'reg' (G and E on LReg), or 'stats' (E(G(X))
 * forward only, for the batch-norm recalibration).
 */
export function buildSubStep(
  kind: SubStep,
  nets: StepNets,
  n: number,
  ds: number,
  dt: number,
  switches: LossSwitches,
  lambda: { rec: number; adv: number },
): StepPlan {
  const t = new Tape();
  const spec = kind === 'stats' ? undefined : subStep(kind);
  const terms = spec ? spec.terms(switches) : [];
  const reads = spec ? inputsOf(terms) : new Set(['x']);
  const net = new NetworkEmitter(t, new Set((spec?.trains ?? []).map((id) => nets[id])));
  const x = reads.has('x') ? t.input(INPUT_X, [n, ds]) : '';
  const y = reads.has('y') ? t.input(INPUT_Y, [n, dt]) : '';
  const faces = reads.has('faces')
    ? t.op('Transpose', [t.input(INPUT_FACES, [n, FACE_SIZE, FACE_SIZE, 3])], [n, 3, FACE_SIZE, FACE_SIZE], 'faces_nchw', {
        perm: [0, 3, 1, 2],
      })
    : '';
  // each network application once per graph, as the TF.js engine evaluates them (trainers.ts)
  const memo = new Map<string, string>();
  const value = (v: Value): string => {
    if (typeof v === 'string') return v === 'x' ? x : v === 'y' ? y : faces;
    const key = valueKey(v);
    let out = memo.get(key);
    if (out == null) memo.set(key, (out = net.apply(nets[v.net], value(v.of))));
    return out;
  };
  const part = (q: LossPart) =>
    q.op === 'softplus'
      ? sumSoftplus(t, value(q.of), q.sign)
      : sumSquaredDifference(t, value(q.a), value(q.b), q.perImage ? 1 / (3 * FACE_SIZE * FACE_SIZE) : 1);
  const losses: [string, string][] = terms.map((term) => [term.parts.map(part).reduce((a, b) => add(t, a, b)), term.key]);
  // forward only: E(G(X)) for the batch-norm recalibration
  if (kind === 'stats') value({ net: 'e', of: { net: 'g', of: 'x' } });
  t.backward(losses.map(([v, key]) => [v, termWeight(key, lambda)]));
  const lossOutputs: Record<string, string> = {};
  losses.forEach(([v, key]) => {
    const name = `loss_${key}`;
    t.output(v, name);
    lossOutputs[name] = key;
  });
  // the runner reads gradients as flat arrays: a last Reshape, which onnxruntime would copy into the
  // graph output (G's 8192×512 kernel gradient: 3–7 ms a run), is left out
  const producers = new Map(t.nodes.map((n) => [n.outputs[0], n]));
  const unreshaped = (v: string) => {
    const p = producers.get(v);
    return p?.op === 'Reshape' ? p.inputs[0] : v;
  };
  const gradOutputs = net.weights
    .filter((w) => w.trainable)
    .map((w, i) => {
      const name = `grad_${i}`;
      t.output(unreshaped(t.gradOf(w.input)), name);
      return name;
    });
  const batchNorms = net.batchNorms.map((b, i) => {
    const meanOutput = `bn${i}_mean`,
      varianceOutput = `bn${i}_var`;
    t.output(b.mean, meanOutput);
    t.output(b.variance, varianceOutput);
    return { ...b, meanOutput, varianceOutput };
  });
  return {
    bytes: encodeOnnxModel(t.graph(`r3an_${kind}_step`)),
    data: new Set(t.inputs.map((v) => v.name).filter((name) => [INPUT_X, INPUT_Y, INPUT_FACES].includes(name))),
    weights: net.weights,
    gradOutputs,
    lossOutputs,
    batchNorms,
  };
}
