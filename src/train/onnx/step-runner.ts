// Runs the training sub-steps on onnxruntime: one session per sub-step and micro-batch size, built on
// first use (the E step's micro-batches side by side in worker threads, step-pool.ts). The weights belong to the TF.js variables (checkpoints, optimisers and export are
// unchanged), held here as arrays between steps: an optimiser updates the arrays in place, the
// batch-norm moving averages are updated in them from the graph's batch statistics as TF.js layers
// update them, and flush() writes what changed back to the variables before TF.js reads them. A
// variable assigned from outside (a checkpoint restored, a TF.js optimiser) is read again.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { InferenceSession } from 'onnxruntime-node';
import { sessionOptions } from '../../backend/onnxruntime.js';
import { FACE_SIZE } from '../../core/face-size.js';
import type { LossSwitches } from '../architectures.js';
import {
  buildAdversarialStep,
  buildSubStep,
  INPUT_ADAM_EPS,
  INPUT_ADAM_SCALE,
  INPUT_ADAM_STEP,
  INPUT_FACES,
  INPUT_X,
  INPUT_Y,
  type StepNets,
  type StepPlan,
  type SubStep,
} from './step-graphs.js';
import type { ArrayAdam } from '../array-adam.js';
import { StepWorkerPool } from './step-pool.js';
import type { FeedSpec } from './step-worker.js';

type Ort = typeof import('onnxruntime-node');
type OrtTensor = InstanceType<Ort['Tensor']>;

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
/**
 * A variable's values as an array; `dataId` tells whether the variable was assigned since, `version`
 * counts the array's changes (for its copy in shared memory, which the workers read).
 */
interface HeldWeight {
  data: Float32Array;
  dataId: object;
  updated: boolean;
  version: number;
  shared?: { buffer: SharedArrayBuffer; version: number };
}
const dataIdOf = (v: tf.Variable) => v.dataId as object;

/**
 * The sub-steps whose micro-batches run side by side (runAll). The extractor's graph is a third
 * depthwise convolutions, which onnxruntime runs poorly on a second thread: two one-thread runs at once
 * took the E step 243–283 ms against 289–308 on two threads in turn (batch 64, two cores, alternated),
 * the joint step 309–317 against 345–378 (once the D and G steps were one graph), for ≈ 0.9 GB more
 * memory (the workers' sessions).
 */
const SIDE_BY_SIDE: ReadonlySet<SubStep> = new Set(['e', 'reg']);

export class OnnxStepRunner {
  private readonly plans = new Map<string, StepPlan>();
  private readonly sessions = new Map<string, Promise<InferenceSession>>();
  private readonly held = new Map<tf.Variable, HeldWeight>();
  private pool?: StepWorkerPool;

  /**
   * `threads`: onnxruntime threads (0: all cores). With two or more, a step's micro-batches run side
   * by side in worker threads, one core each (runAll), where there are several.
   */
  constructor(
    private readonly ort: Ort,
    private readonly nets: StepNets,
    private readonly ds: number,
    private readonly dt: number,
    private readonly switches: LossSwitches,
    private readonly lambda: { rec: number; adv: number },
    private readonly threads: number,
  ) {}

  private plan<P extends StepPlan>(key: string, build: () => P): P {
    let p = this.plans.get(key);
    if (!p) this.plans.set(key, (p = build()));
    return p as P;
  }

  private session(key: string, plan: StepPlan): Promise<InferenceSession> {
    let s = this.sessions.get(key);
    if (!s) this.sessions.set(key, (s = this.ort.InferenceSession.create(plan.bytes, sessionOptions(this.threads))));
    return s;
  }

  private subStepPlan(kind: SubStep, size: number): [string, StepPlan] {
    const key = `${kind}:${size}`;
    return [key, this.plan(key, () => buildSubStep(kind, this.nets, size, this.ds, this.dt, this.switches, this.lambda))];
  }

  async run(kind: SubStep, part: MicroBatchData): Promise<SubStepResult> {
    const [key, plan] = this.subStepPlan(kind, part.size);
    const out = await (await this.session(key, plan)).run(this.feeds(kind, plan, part));
    return this.result(plan, out);
  }

  /**
   * A sub-step on each of a step's micro-batches, results in their order. For the sub-steps in
   * SIDE_BY_SIDE, where the runner has two or more threads and there are several micro-batches, they
   * run at once in worker threads, one core each. The batch-norm moving averages are updated in the
   * micro-batches' order, as run() one after another would.
   */
  async runAll(kind: SubStep, parts: MicroBatchData[]): Promise<SubStepResult[]> {
    const workers = Math.min(parts.length, this.threads === 0 ? os.availableParallelism() : this.threads);
    if (workers < 2 || !SIDE_BY_SIDE.has(kind)) {
      const results: SubStepResult[] = [];
      for (const p of parts) results.push(await this.run(kind, p));
      return results;
    }
    if (!this.pool || this.pool.size !== workers) {
      await this.pool?.release();
      this.pool = new StepWorkerPool(workers, Math.max(1, Math.floor((this.threads || os.availableParallelism()) / workers)));
    }
    const pool = this.pool;
    const outs = await Promise.all(
      parts.map((p, i) => {
        const [key, plan] = this.subStepPlan(kind, p.size);
        return pool.run(i % workers, key, plan.bytes, this.sharedFeeds(kind, plan, p)).then((out) => [plan, out] as const);
      }),
    );
    return outs.map(([plan, out]) => this.result(plan, out));
  }

  /** A run's losses and gradients; the moving averages updated from its batch statistics. */
  private result(plan: StepPlan, out: Record<string, { data: unknown }>): SubStepResult {
    this.updateMovingStatistics(plan, out);
    return {
      losses: this.losses(plan, out),
      grads: plan.gradOutputs.map((name) => out[name].data as Float32Array),
      variables: plan.weights.filter((w) => w.trainable).map((w) => w.variable),
    };
  }

  /** The data inputs a plan reads, with their shapes and the micro-batch's arrays. */
  private dataInputs(kind: string, plan: StepPlan, part: MicroBatchData): { name: string; dims: number[]; data: Float32Array }[] {
    const inputs: { name: string; dims: number[]; data: Float32Array }[] = [];
    if (plan.data.has(INPUT_X)) inputs.push({ name: INPUT_X, dims: [part.size, this.ds], data: part.x });
    if (plan.data.has(INPUT_Y)) inputs.push({ name: INPUT_Y, dims: [part.size, this.dt], data: part.y });
    if (plan.data.has(INPUT_FACES)) {
      if (!part.faces) throw new Error(`the ${kind} step needs face crops`);
      inputs.push({ name: INPUT_FACES, dims: [part.size, FACE_SIZE, FACE_SIZE, 3], data: part.faces });
    }
    return inputs;
  }

  /** The feeds of a worker run: the data copied, the weights as shared memory brought up to date. */
  private sharedFeeds(kind: SubStep, plan: StepPlan, part: MicroBatchData): FeedSpec[] {
    const feeds: FeedSpec[] = this.dataInputs(kind, plan, part);
    this.weightArrays(plan.weights.map((w) => w.variable));
    for (const w of plan.weights) {
      const h = this.held.get(w.variable)!;
      if (!h.shared || h.shared.version !== h.version) {
        h.shared ??= { buffer: new SharedArrayBuffer(h.data.byteLength), version: -1 };
        new Float32Array(h.shared.buffer).set(h.data);
        h.shared.version = h.version;
      }
      feeds.push({ name: w.input, dims: w.variable.shape, shared: h.shared.buffer });
    }
    return feeds;
  }

  /**
   * The D and G steps of a whole batch in one run (step-graphs.ts, buildAdversarialStep): `part` holds
   * the batch, `groups` its micro-batch sizes. D's update is done: its Adam step ran in the graph, with
   * `adam`'s state and constants, and the held weights, the moments and the step count are brought up
   * to date. Returns the D and G loss sums and G's gradient sums, for G's own optimiser.
   */
  async runAdversarial(part: MicroBatchData, groups: number[], adam: ArrayAdam): Promise<SubStepResult> {
    const key = `dg:${groups.join(',')}:${adam.beta1},${adam.beta2}`;
    const plan = this.plan(key, () => buildAdversarialStep(this.nets, groups, this.ds, this.switches, this.lambda, adam));
    const session = await this.session(key, plan);
    const T = this.ort.Tensor;
    const feeds = this.feeds('d+g', plan, part);
    const { step, epsHat } = adam.stepConstants();
    const dVars = plan.adam.map((a) => a.weight.variable);
    const moments = adam.momentsOf(dVars);
    plan.adam.forEach((a, i) => {
      feeds[a.m] = new T('float32', moments[i].m, a.weight.variable.shape);
      feeds[a.v] = new T('float32', moments[i].v, a.weight.variable.shape);
    });
    feeds[INPUT_ADAM_SCALE] = new T('float32', Float32Array.of(1 / part.size), []);
    feeds[INPUT_ADAM_STEP] = new T('float32', Float32Array.of(step), []);
    feeds[INPUT_ADAM_EPS] = new T('float32', Float32Array.of(epsHat), []);
    const out = await session.run(feeds);
    const held = this.weightArrays(dVars);
    plan.adam.forEach((a, i) => {
      held[i].set(out[a.wOut].data as Float32Array);
      moments[i].m.set(out[a.mOut].data as Float32Array);
      moments[i].v.set(out[a.vOut].data as Float32Array);
    });
    this.weightsUpdated(dVars);
    adam.advance();
    this.updateMovingStatistics(plan, out);
    return {
      losses: this.losses(plan, out),
      grads: plan.gradOutputs.map((name) => out[name].data as Float32Array),
      variables: plan.gradWeights.map((w) => w.variable),
    };
  }

  /** A plan's data and weight feeds. */
  private feeds(kind: string, plan: StepPlan, part: MicroBatchData): Record<string, OrtTensor> {
    const T = this.ort.Tensor;
    const feeds: Record<string, OrtTensor> = {};
    for (const d of this.dataInputs(kind, plan, part)) feeds[d.name] = new T('float32', d.data, d.dims);
    const weights = this.weightArrays(plan.weights.map((w) => w.variable));
    plan.weights.forEach((w, i) => {
      feeds[w.input] = new T('float32', weights[i], w.variable.shape);
    });
    return feeds;
  }

  /** The batch-norm moving averages, from each use's batch statistics in the plan's order. */
  private updateMovingStatistics(plan: StepPlan, out: Record<string, { data: unknown }>): void {
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
  }

  private losses(plan: StepPlan, out: Record<string, { data: unknown }>): Record<string, number> {
    const losses: Record<string, number> = {};
    for (const [name, key] of Object.entries(plan.lossOutputs)) losses[key] = (out[name].data as Float32Array)[0];
    return losses;
  }

  /** The variables' values as arrays: an optimiser may update them in place, then call weightsUpdated. */
  weightArrays(vars: tf.Variable[]): Float32Array[] {
    return vars.map((v) => {
      let h = this.held.get(v);
      // assigned since read (restored, or stepped by a TF.js optimiser): that value wins
      if (!h || h.dataId !== dataIdOf(v)) {
        h = {
          data: Float32Array.from(v.dataSync() as Float32Array),
          dataId: dataIdOf(v),
          updated: false,
          version: (h?.version ?? 0) + 1,
          shared: h?.shared,
        };
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
      h.version++;
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
    for (const s of all) await (await s).release();
    await this.pool?.release();
    this.pool = undefined;
  }
}
