// Runs the training sub-steps on onnxruntime: one session per sub-step and micro-batch size, built on
// first use. The weights belong to the TF.js variables (checkpoints, optimisers and export are
// unchanged), held here as arrays between steps: an optimiser updates the arrays in place, the
// batch-norm moving averages are updated in them from the graph's batch statistics as TF.js layers
// update them, and flush() writes what changed back to the variables before TF.js reads them. A
// variable assigned from outside (a checkpoint restored, a TF.js optimiser) is read again.
import * as tf from '@tensorflow/tfjs';
import type { InferenceSession } from 'onnxruntime-node';
import { sessionOptions } from '../../backend/onnxruntime.js';
import { FACE_SIZE } from '../../core/face-size.js';
import type { LossSwitches } from '../architectures.js';
import { buildSubStep, INPUT_FACES, INPUT_X, INPUT_Y, type StepNets, type StepPlan, type SubStep } from './step-graphs.js';

type Ort = typeof import('onnxruntime-node');

/** One micro-batch as flat rows: x (n, ds), y (n, dt), faces NHWC (n, 56, 56, 3) in [-1, 1]. */
export interface MicroBatchData {
  x: Float32Array;
  y: Float32Array;
  faces?: Float32Array;
  size: number;
}

export interface SubStepResult {
  /** loss sums over the micro-batch, by key ('d', 'rec', 'adv', 'rep', 'reg') */
  losses: Record<string, number>;
  /** gradients of the sum, aligned with `variables` */
  grads: Float32Array[];
  variables: tf.Variable[];
}

interface LayerVariable {
  read(): tf.Variable;
}
interface BatchNormLayer {
  momentum: number;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}
/** A variable's values as an array; `dataId` tells whether the variable was assigned since. */
interface HeldWeight {
  data: Float32Array;
  dataId: object;
  updated: boolean;
}
const dataIdOf = (v: tf.Variable) => v.dataId as object;

export class OnnxStepRunner {
  private readonly sessions = new Map<string, Promise<{ session: InferenceSession; plan: StepPlan }>>();
  private readonly held = new Map<tf.Variable, HeldWeight>();

  constructor(
    private readonly ort: Ort,
    private readonly nets: StepNets,
    private readonly ds: number,
    private readonly dt: number,
    private readonly switches: LossSwitches,
    private readonly lambda: { rec: number; adv: number },
    private readonly threads: number,
  ) {}

  private session(kind: SubStep, n: number) {
    const key = `${kind}:${n}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        const plan = buildSubStep(kind, this.nets, n, this.ds, this.dt, this.switches, this.lambda);
        const session = await this.ort.InferenceSession.create(plan.bytes, sessionOptions(this.threads));
        return { session, plan };
      })();
      this.sessions.set(key, s);
    }
    return s;
  }

  async run(kind: SubStep, part: MicroBatchData): Promise<SubStepResult> {
    const { session, plan } = await this.session(kind, part.size);
    const T = this.ort.Tensor;
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
    if (plan.data.has(INPUT_X)) feeds[INPUT_X] = new T('float32', part.x, [part.size, this.ds]);
    if (plan.data.has(INPUT_Y)) feeds[INPUT_Y] = new T('float32', part.y, [part.size, this.dt]);
    if (plan.data.has(INPUT_FACES)) {
      if (!part.faces) throw new Error(`the ${kind} step needs face crops`);
      feeds[INPUT_FACES] = new T('float32', part.faces, [part.size, FACE_SIZE, FACE_SIZE, 3]);
    }
    const weights = this.weightArrays(plan.weights.map((w) => w.variable));
    plan.weights.forEach((w, i) => {
      feeds[w.input] = new T('float32', weights[i], w.variable.shape);
    });
    const out = await session.run(feeds);
    for (const b of plan.batchNorms) {
      const layer = b.layer as unknown as BatchNormLayer;
      // TF.js: moving −= (moving − batch)·(1 − momentum), each operation rounded to float32
      const decay = Math.fround(1 - layer.momentum);
      const vars = [layer.movingMean.read(), layer.movingVariance.read()];
      this.weightArrays(vars).forEach((moving, k) => {
        const batch = out[k === 0 ? b.meanOutput : b.varianceOutput].data as Float32Array;
        for (let j = 0; j < moving.length; j++) moving[j] = Math.fround(moving[j] - Math.fround(Math.fround(moving[j] - batch[j]) * decay));
      });
      this.weightsUpdated(vars);
    }
    const losses: Record<string, number> = {};
    for (const [name, key] of Object.entries(plan.lossOutputs)) losses[key] = (out[name].data as Float32Array)[0];
    return {
      losses,
      grads: plan.gradOutputs.map((name) => out[name].data as Float32Array),
      variables: plan.weights.filter((w) => w.trainable).map((w) => w.variable),
    };
  }

  /** The variables' values as arrays: an optimiser may update them in place, then call weightsUpdated. */
  weightArrays(vars: tf.Variable[]): Float32Array[] {
    return vars.map((v) => {
      let h = this.held.get(v);
      // assigned since read (restored, or stepped by a TF.js optimiser): that value wins
      if (!h || h.dataId !== dataIdOf(v)) {
        h = { data: Float32Array.from(v.dataSync() as Float32Array), dataId: dataIdOf(v), updated: false };
        this.held.set(v, h);
      }
      return h.data;
    });
  }

  /** Marks arrays from weightArrays as changed: flush() writes them to their variables. */
  weightsUpdated(vars: tf.Variable[]): void {
    for (const v of vars) {
      const h = this.held.get(v);
      if (!h || h.dataId !== dataIdOf(v)) throw new Error(`training: ${v.name} was updated from an array it was not read into`);
      h.updated = true;
    }
  }

  /** Writes every updated array to its variable; TF.js then reads the trained weights. */
  flush(): void {
    for (const [v, h] of this.held) {
      if (!h.updated) continue;
      // a copy: a backend may keep the array it is given, and this one goes on being updated in place
      tf.tidy(() => v.assign(tf.tensor(h.data.slice(), v.shape)));
      h.dataId = dataIdOf(v);
      h.updated = false;
    }
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).session.release();
  }
}
