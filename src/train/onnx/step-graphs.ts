// The R³AN training sub-steps of schedule.ts (trainers.ts evaluates the same terms on TF.js) as ONNX
// graphs: inputs are a micro-batch and every weight the step reads; outputs are the loss sums, the
// gradients of the step's trainable weights and the batch statistics of every batch norm it applies.
import type * as tf from '@tensorflow/tfjs';
import { encodeOnnxModel } from '../../onnx/proto.js';
import { FACE_SIZE } from '../../core/face-size.js';
import type { LossSwitches } from '../architectures.js';
import { inputsOf, subStep, termWeight, valueKey, type LossPart, type LossTerm, type TrainStep, type Value } from '../schedule.js';
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
 * Declares the gradients of `weights` as outputs grad_0, grad_1, … The runner reads them as flat arrays:
 * a last Reshape, which onnxruntime would copy into the graph output (G's 8192×512 kernel gradient:
 * 3–7 ms a run), is left out.
 */
function gradientOutputs(t: Tape, weights: WeightInput[]): string[] {
  const producers = new Map(t.nodes.map((n) => [n.outputs[0], n]));
  const unreshaped = (v: string) => {
    const p = producers.get(v);
    return p?.op === 'Reshape' ? p.inputs[0] : v;
  };
  return weights.map((w, i) => {
    const name = `grad_${i}`;
    t.output(unreshaped(t.gradOf(w.input)), name);
    return name;
  });
}

/** Declares each loss sum an output loss_<key>; returns output name → key. */
function lossOutputsOf(t: Tape, losses: [string, string][]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [v, key] of losses) {
    t.output(v, `loss_${key}`);
    names[`loss_${key}`] = key;
  }
  return names;
}

/** Declares every batch-norm use's batch statistics outputs bn<i>_mean and bn<i>_var. */
function batchNormOutputs(t: Tape, uses: BatchNormUse[]): StepPlan['batchNorms'] {
  return uses.map((b, i) => {
    const meanOutput = `bn${i}_mean`,
      varianceOutput = `bn${i}_var`;
    t.output(b.mean, meanOutput);
    t.output(b.variance, varianceOutput);
    return { ...b, meanOutput, varianceOutput };
  });
}

/** A loss term's sum over the (micro-)batch, its values computed by `value`. */
function termSum(t: Tape, term: LossTerm, value: (v: Value) => string): string {
  const part = (q: LossPart) =>
    q.op === 'softplus'
      ? sumSoftplus(t, value(q.of), q.sign)
      : sumSquaredDifference(t, value(q.a), value(q.b), q.perImage ? 1 / (3 * FACE_SIZE * FACE_SIZE) : 1);
  return term.parts.map(part).reduce((a, b) => add(t, a, b));
}

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
  const losses: [string, string][] = terms.map((term) => [termSum(t, term, value), term.key]);
  // forward only: E(G(X)) for the batch-norm recalibration
  if (kind === 'stats') value({ net: 'e', of: { net: 'g', of: 'x' } });
  t.backward(losses.map(([v, key]) => [v, termWeight(key, lambda)]));
  const lossOutputs = lossOutputsOf(t, losses);
  const gradOutputs = gradientOutputs(
    t,
    net.weights.filter((w) => w.trainable),
  );
  const batchNorms = batchNormOutputs(t, net.batchNorms);
  return {
    bytes: encodeOnnxModel(t.graph(`r3an_${kind}_step`)),
    data: new Set(t.inputs.map((v) => v.name).filter((name) => [INPUT_X, INPUT_Y, INPUT_FACES].includes(name))),
    weights: net.weights,
    gradOutputs,
    lossOutputs,
    batchNorms,
  };
}

/** The fused D and G steps' plan: a StepPlan whose gradients are G's, plus D's Adam step done in the graph. */
export interface AdversarialPlan extends StepPlan {
  /** the weights whose gradients gradOutputs are (G's trainable ones), aligned */
  gradWeights: WeightInput[];
  /** D's trainable weights, in its optimiser's order; per weight its moments' inputs and the updated outputs */
  adam: { weight: WeightInput; m: string; v: string; wOut: string; mOut: string; vOut: string }[];
}

/** The Adam step's per-run constants, graph inputs (scalars): gradient scale (1/batch), step size and ε̂ (ArrayAdam.stepConstants). */
export const INPUT_ADAM_SCALE = 'adam_scale',
  INPUT_ADAM_STEP = 'adam_step',
  INPUT_ADAM_EPS = 'adam_eps_hat';

/**
 * The D step and the G step of one batch in one graph, for `groups` micro-batches (their sizes): G(X)
 * is computed once per micro-batch (each with its own batch statistics, as the two steps would) and
 * serves both steps. The D step's gradient, summed over the batch, goes through Adam inside the graph
 * (the arithmetic of ArrayAdam's kernels, β1 and β2 fixed here, the rest fed per run), and the G step
 * reads D's updated weights, as it does after a separate D step. Losses and G's gradients are sums
 * over the batch; G's batch-norm uses are listed twice (once for each step that applies G).
 */
export function buildAdversarialStep(
  nets: StepNets,
  groups: number[],
  ds: number,
  switches: LossSwitches,
  lambda: { rec: number; adv: number },
  beta: { beta1: number; beta2: number },
): AdversarialPlan {
  const t = new Tape();
  const n = groups.reduce((a, b) => a + b, 0);
  const net = new NetworkEmitter(t, new Set([nets.g, nets.d]));
  const x = t.input(INPUT_X, [n, ds]);
  const faces = t.op('Transpose', [t.input(INPUT_FACES, [n, FACE_SIZE, FACE_SIZE, 3])], [n, 3, FACE_SIZE, FACE_SIZE], 'faces_nchw', {
    perm: [0, 3, 1, 2],
  });
  const rows = (v: string, from: number, size: number) =>
    t.op(
      'Slice',
      [v, t.ints('starts', [from]), t.ints('ends', [from + size]), t.ints('axes', [0])],
      [size, ...t.shape(v).slice(1)],
      'group',
    );
  const starts = groups.map((_, i) => groups.slice(0, i).reduce((a, b) => a + b, 0));
  const data = groups.map((size, i) => ({ x: rows(x, starts[i], size), faces: rows(faces, starts[i], size) }));
  // G's applications, shared by both steps (one per micro-batch)
  const generated = groups.map(() => new Map<string, string>());
  const valueFor = (step: 'd' | 'g', i: number, dNew?: Map<tf.Variable, string>) => {
    const memo = new Map<string, string>();
    const value = (v: Value): string => {
      if (typeof v === 'string') {
        if (v === 'y') throw new Error('the D and G steps do not read Y');
        return data[i][v];
      }
      const key = valueKey(v);
      let out = memo.get(key);
      if (out != null) return out;
      if (v.net === 'g') {
        let fake = generated[i].get(key);
        if (fake == null) generated[i].set(key, (fake = net.apply(nets.g, value(v.of))));
        // the D step trains D only: nothing flows back into G from it
        out = step === 'd' ? t.detach(fake) : fake;
      } else if (v.net === 'd') out = net.apply(nets.d, value(v.of), step === 'g' ? dNew : undefined);
      else throw new Error('the D and G steps do not apply E');
      memo.set(key, out);
      return out;
    };
    return value;
  };
  const termSums = (step: 'd' | 'g', dNew?: Map<tf.Variable, string>): [string, string][] =>
    subStep(step)
      .terms(switches)
      .map((term) => [groups.map((_, i) => termSum(t, term, valueFor(step, i, dNew))).reduce((a, b) => add(t, a, b)), term.key]);

  const dLosses = termSums('d');
  const usesOfD = net.batchNorms.length;
  t.backward(dLosses.map(([v, key]) => [v, termWeight(key, lambda)]));
  const dVars = new Set(nets.d.trainableWeights.map((w) => w.read()));
  const scale = t.input(INPUT_ADAM_SCALE, []),
    stepSize = t.input(INPUT_ADAM_STEP, []),
    epsHat = t.input(INPUT_ADAM_EPS, []);
  const b1 = t.scalar(beta.beta1),
    b2 = t.scalar(beta.beta2),
    a1 = t.scalar(1 - beta.beta1),
    a2 = t.scalar(1 - beta.beta2);
  const dNew = new Map<tf.Variable, string>();
  const adam = net.weights
    .filter((w) => dVars.has(w.variable))
    .map((weight, i) => {
      const shape = t.shape(weight.input);
      const m = t.input(`adam_m${i}`, shape),
        v = t.input(`adam_v${i}`, shape);
      // ArrayAdam's kernel: g' = scale·g; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²; w −= step·m/(√v + ε̂)
      const g = t.op('Mul', [t.gradOf(weight.input), scale], shape, 'adam_g');
      const mNew = t.op('Add', [t.op('Mul', [m, b1], shape, 'adam_mb'), t.op('Mul', [g, a1], shape, 'adam_ga')], shape, 'adam_m');
      const vNew = t.op(
        'Add',
        [t.op('Mul', [v, b2], shape, 'adam_vb'), t.op('Mul', [t.op('Mul', [g, g], shape, 'adam_g2'), a2], shape, 'adam_g2a')],
        shape,
        'adam_v',
      );
      const wNew = t.op(
        'Sub',
        [
          weight.input,
          t.op(
            'Div',
            [
              t.op('Mul', [stepSize, mNew], shape, 'adam_sm'),
              t.op('Add', [t.op('Sqrt', [vNew], shape, 'adam_sqrt'), epsHat], shape, 'adam_den'),
            ],
            shape,
            'adam_delta',
          ),
        ],
        shape,
        'adam_w',
      );
      dNew.set(weight.variable, wNew);
      const names = { wOut: `d_w${i}`, mOut: `d_m${i}`, vOut: `d_v${i}` };
      t.output(wNew, names.wOut);
      t.output(mNew, names.mOut);
      t.output(vNew, names.vOut);
      return { weight, m, v, ...names };
    });

  t.clearGrads();
  const gLosses = termSums('g', dNew);
  t.backward(gLosses.map(([v, key]) => [v, termWeight(key, lambda)]));
  const lossOutputs = lossOutputsOf(t, [...dLosses, ...gLosses]);
  const gradWeights = net.weights.filter((w) => w.trainable && !dVars.has(w.variable));
  const gradOutputs = gradientOutputs(t, gradWeights);
  const uses = batchNormOutputs(t, net.batchNorms);
  const gLayers = new Set(nets.g.layers);
  const dStep = uses.slice(0, usesOfD);
  return {
    bytes: encodeOnnxModel(t.graph('r3an_adversarial_step')),
    data: new Set([INPUT_X, INPUT_FACES]),
    weights: net.weights,
    gradOutputs,
    gradWeights,
    lossOutputs,
    // in the order the separate steps apply them: the D step's, G's again for the G step, then the G step's own
    batchNorms: [...dStep, ...dStep.filter((b) => gLayers.has(b.layer)), ...uses.slice(usesOfD)],
    adam,
  };
}
