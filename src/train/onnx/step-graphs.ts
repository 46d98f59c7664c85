// The R³AN training sub-steps (paper, Optimization slide; trainers.ts runs the same on TF.js) as ONNX
// graphs: inputs are a micro-batch and every weight the step reads; outputs are the loss sums, the
// gradients of the step's trainable weights and the batch statistics of every batch norm it applies.
import type * as tf from '@tensorflow/tfjs';
import { encodeOnnxModel } from '../../onnx/proto.js';
import { FACE_SIZE } from '../../core/face-size.js';
import type { LossSwitches } from '../architectures.js';
import { termWeight } from '../losses.js';
import { add, sumSoftplus, sumSquaredDifference } from '../../onnx/ops.js';
import { NetworkEmitter, type BatchNormUse, type WeightInput } from '../../onnx/networks.js';
import { Tape } from '../../onnx/tape.js';

export type SubStep = 'd' | 'g' | 'e' | 'reg' | 'stats';

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
  const trained = new Set<tf.LayersModel>(
    kind === 'd' ? [nets.d] : kind === 'g' ? [nets.g] : kind === 'e' ? [nets.e] : kind === 'reg' ? [nets.g, nets.e] : [],
  );
  const net = new NetworkEmitter(t, trained);
  const usesFaces = kind === 'd' || kind === 'e' || (kind === 'g' && switches.recL2);
  const usesY = kind === 'e' || kind === 'reg';
  const x = kind === 'e' ? '' : t.input(INPUT_X, [n, ds]);
  const y = usesY ? t.input(INPUT_Y, [n, dt]) : '';
  const faces = usesFaces
    ? t.op('Transpose', [t.input(INPUT_FACES, [n, FACE_SIZE, FACE_SIZE, 3])], [n, 3, FACE_SIZE, FACE_SIZE], 'faces_nchw', {
        perm: [0, 3, 1, 2],
      })
    : '';
  const losses: [string, string][] = []; // value, reported key
  switch (kind) {
    case 'd': {
      const fake = net.apply(nets.g, x);
      const real = net.apply(nets.d, faces),
        fakeLogit = net.apply(nets.d, fake);
      losses.push([add(t, sumSoftplus(t, real, -1), sumSoftplus(t, fakeLogit, 1)), 'd']);
      break;
    }
    case 'g': {
      const fake = net.apply(nets.g, x);
      if (switches.recL2) losses.push([sumSquaredDifference(t, fake, faces, 1 / (3 * FACE_SIZE * FACE_SIZE)), 'rec']);
      if (switches.recAdv) losses.push([sumSoftplus(t, net.apply(nets.d, fake), -1), 'adv']);
      break;
    }
    case 'e':
      losses.push([sumSquaredDifference(t, net.apply(nets.e, faces), y), 'rep']);
      break;
    case 'reg':
      losses.push([sumSquaredDifference(t, net.apply(nets.e, net.apply(nets.g, x)), y), 'reg']);
      break;
    case 'stats':
      net.apply(nets.e, net.apply(nets.g, x));
      break;
  }
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
