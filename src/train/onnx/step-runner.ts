// Runs the training sub-steps on onnxruntime: one session per sub-step and micro-batch size, built on
// first use. The weights stay in the TF.js variables (checkpoints, optimisers and export are unchanged):
// each run reads them, and the batch-norm moving averages are updated from the graph's batch
// statistics exactly as TF.js layers update them in a training-mode forward pass.
import * as tf from '@tensorflow/tfjs';
import type { InferenceSession } from 'onnxruntime-node';
import { FACE_SIZE } from '../../nn/generator.js';
import type { LossSwitches } from '../presets.js';
import { buildSubStep, INPUT_FACES, INPUT_X, INPUT_Y, type StepNets, type StepPlan, type SubStep } from './step-graphs.js';

type Ort = typeof import('onnxruntime-node');

/** One micro-batch as flat rows: x (n, ds), y (n, dt), faces NHWC (n, 56, 56, 3) in [-1, 1]. */
export interface MicroBatchData { x: Float32Array; y: Float32Array; faces?: Float32Array; size: number }

export interface SubStepResult {
  /** loss sums over the micro-batch, by key ('d', 'rec', 'adv', 'rep', 'reg') */
  losses: Record<string, number>;
  /** gradients of the sum, aligned with `variables` */
  grads: Float32Array[];
  variables: tf.Variable[];
}

interface LayerVariable { read(): tf.Variable; write(v: tf.Tensor): void }
interface BatchNormLayer { momentum: number; movingMean: LayerVariable; movingVariance: LayerVariable }

export class OnnxStepRunner {
  private readonly sessions = new Map<string, Promise<{ session: InferenceSession; plan: StepPlan }>>();
  /** weights as last read from TF.js; a sub-step reads each once, not once per micro-batch */
  private readonly weightCache = new Map<tf.Variable, Float32Array>();

  constructor(
    private readonly ort: Ort, private readonly nets: StepNets, private readonly ds: number, private readonly dt: number,
    private readonly switches: LossSwitches, private readonly lambda: { rec: number; adv: number; reg: number }, private readonly threads: number,
  ) {}

  private session(kind: SubStep, n: number) {
    const key = `${kind}:${n}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        const plan = buildSubStep(kind, this.nets, n, this.ds, this.dt, this.switches, this.lambda);
        const session = await this.ort.InferenceSession.create(plan.bytes, {
          executionProviders: ['cpu'], graphOptimizationLevel: 'all', ...(this.threads > 0 ? { intraOpNumThreads: this.threads } : {}),
        });
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
    plan.weights.forEach((w, i) => { feeds[w.input] = new T('float32', weights[i], w.variable.shape); });
    const out = await session.run(feeds);
    for (const b of plan.batchNorms) {
      const layer = b.layer as unknown as BatchNormLayer;
      const decay = 1 - layer.momentum;
      tf.tidy(() => {
        for (const [lv, name] of [[layer.movingMean, b.meanOutput], [layer.movingVariance, b.varianceOutput]] as const) {
          const orig = lv.read();
          lv.write(tf.sub(orig, tf.mul(tf.sub(orig, tf.tensor1d(out[name].data as Float32Array)), decay)));
        }
      });
    }
    const losses: Record<string, number> = {};
    for (const [name, key] of Object.entries(plan.lossOutputs)) losses[key] = (out[name].data as Float32Array)[0];
    return {
      losses,
      grads: plan.gradOutputs.map((name) => out[name].data as Float32Array),
      variables: plan.weights.filter((w) => w.trainable).map((w) => w.variable),
    };
  }

  /**
   * The variables' values as the graphs read them, cached: an optimiser may update these arrays in
   * place (writing the variables too) without reading them back.
   */
  weightArrays(vars: tf.Variable[]): Float32Array[] {
    return vars.map((v) => {
      let data = this.weightCache.get(v);
      if (!data) { data = Float32Array.from(v.dataSync() as Float32Array); this.weightCache.set(v, data); }
      return data;
    });
  }

  /** Must be called after the variables change other than through weightArrays (a TF.js optimiser step, a checkpoint restore). */
  weightsChanged(vars?: tf.Variable[]): void {
    if (!vars) this.weightCache.clear();
    else for (const v of vars) this.weightCache.delete(v);
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).session.release();
  }
}
