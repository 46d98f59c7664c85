// The trainable mappers. GanTrainer runs the paper's Optimization slide step for step
// (D step; G step on λRec·LRec + λAdv·LAdv; E step on LRep; joint (G,E) step on LReg), with each
// step switched on or off by the Table 3 preset. MlpTrainer is the FC baseline (L2 only).
import * as tf from '@tensorflow/tfjs';
import { buildDiscriminator } from '../nn/discriminator.js';
import { buildExtractor } from '../nn/extractor.js';
import { buildGenerator } from '../nn/generator.js';
import { FACE_SIZE } from '../core/face-size.js';
import { concatArrays } from '../core/concat.js';
import { BN_MOMENTUM, seedStream } from '../nn/init.js';
import { composeMapping, type MappingStats } from '../nn/mapping.js';
import { buildMlp } from '../nn/mlp.js';
import type { TrainConfig } from './config.js';
import { accumulateAndApply, applyGradientSums, trainableVariables, type ParamGroup } from './gradient-accumulation.js';
import { ArrayAdam, arrayKernels, isArrayAdam } from './array-adam.js';
import { featureL2Sum, lossPartSum } from './losses.js';
import { inputsOf, SCHEDULE, subStep, termWeight, valueKey, type NetId, type TrainStep, type Value } from './schedule.js';
import type { PairedData } from './paired-data.js';
import { gatherRows } from '../features/rows.js';
import { ARCHITECTURES, isGanArch, isResidual, lossSwitches, type LossSwitches } from './architectures.js';
import type { Ort } from '../backend/onnxruntime.js';
import { OnnxStepRunner, type MicroBatchData } from './onnx/step-runner.js';

export interface Trainer {
  /** every network whose weights a checkpoint must hold (reading it brings their variables up to date) */
  readonly nets: Record<string, tf.LayersModel>;
  readonly optimizers: Record<string, tf.Optimizer>;
  /** where the iterations run: 'onnxruntime' or 'tfjs' */
  readonly runtime: string;
  /** one training iteration on the given rows; returns batch-mean losses. `pretrain`: without the joint regression step */
  step(rows: number[], data: PairedData, opts?: { pretrain?: boolean }): Promise<Record<string, number>>;
  /** the run-time mapping X → Y, on raw features (standardisation inside) */
  mapping(): tf.LayersModel;
  /** whether it has label-free steps to pre-train (the R³AN family with Rec or Rep on) */
  readonly pretrainable: boolean;
  /** the generator X → face on raw features, for the R³AN family */
  readonly generator?: tf.LayersModel;
  /**
   * Re-estimates batch-norm moving statistics with forward passes of the mapping over training rows
   * ("precise BN"): on short CPU runs the moving averages lag the fast-changing weights, and
   * inference-mode outputs would drift far from what training optimised.
   */
  recalibrate(rows: number[], data: PairedData): Promise<void>;
  dispose(): Promise<void>;
}

/** How a trainer runs: onnxruntime (the module, when chosen) or TF.js, and its thread count (0 = all cores). */
export interface TrainerRuntime {
  ort?: Ort | null;
  threads?: number;
}

export interface MicroBatch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  faces?: tf.Tensor4D;
  size: number;
}

/** Whether any step that runs under these switches reads the face crops. */
function readsFaces(switches: LossSwitches): boolean {
  return SCHEDULE.some((st) => inputsOf(st.terms(switches)).has('faces'));
}

/** The batch's rows cut into micro-batches of flat arrays (faces NHWC, uint8 [0,255] → [-1,1], the generator's tanh range). */
function microBatchData(rows: number[], data: PairedData, size: number, withFaces: boolean): MicroBatchData[] {
  const parts: MicroBatchData[] = [];
  const cropLen = FACE_SIZE * FACE_SIZE * 3;
  for (let s = 0; s < rows.length; s += size) {
    const r = rows.slice(s, s + size);
    let faces: Float32Array | undefined;
    if (withFaces) {
      if (!data.crops) throw new Error('this architecture needs face crops');
      const bytes = gatherRows(data.crops, cropLen, r);
      faces = new Float32Array(bytes.length);
      // a plain loop: Float32Array.from with a map function took ≈ 90 ms for 64 crops
      for (let i = 0; i < bytes.length; i++) faces[i] = bytes[i] / 127.5 - 1;
    }
    parts.push({ x: gatherRows(data.x, data.ds, r), y: gatherRows(data.y, data.dt, r), ...(faces ? { faces } : {}), size: r.length });
  }
  return parts;
}

/** Micro-batches joined back into one batch (the fused D and G steps read the whole batch). */
function wholeBatch(parts: MicroBatchData[]): MicroBatchData {
  if (parts.length === 1) return parts[0];
  const join = (arrays: Float32Array[]) => concatArrays(arrays, (n) => new Float32Array(n));
  return {
    x: join(parts.map((p) => p.x)),
    y: join(parts.map((p) => p.y)),
    ...(parts[0].faces ? { faces: join(parts.map((p) => p.faces!)) } : {}),
    size: parts.reduce((a, p) => a + p.size, 0),
  };
}

export function microBatches(rows: number[], data: PairedData, size: number, withFaces: boolean): MicroBatch[] {
  return microBatchData(rows, data, size, withFaces).map((p) => ({
    x: tf.tensor2d(p.x, [p.size, data.ds]),
    y: tf.tensor2d(p.y, [p.size, data.dt]),
    ...(p.faces ? { faces: tf.tensor4d(p.faces, [p.size, FACE_SIZE, FACE_SIZE, 3]) } : {}),
    size: p.size,
  }));
}

export const disposeParts = (parts: MicroBatch[]) => parts.forEach((p) => tf.dispose([p.x, p.y, ...(p.faces ? [p.faces] : [])]));
const train = (m: tf.LayersModel, x: tf.Tensor) => m.apply(x, { training: true }) as tf.Tensor;

export class GanTrainer implements Trainer {
  private readonly networks: Record<string, tf.LayersModel>;
  readonly optimizers: Record<string, tf.Optimizer>;
  readonly switches: LossSwitches;
  private readonly g: tf.LayersModel;
  private readonly d: tf.LayersModel;
  private readonly e: tf.LayersModel;
  private composed?: tf.LayersModel;
  private composedGenerator?: tf.LayersModel;
  private readonly onnx?: OnnxStepRunner;
  /** each sub-step's parameter groups: which optimiser (looked up at each step) updates which variables */
  private readonly groupNames: Record<TrainStep, { optimizer: string; names: Set<string> }[]>;
  readonly runtime: string;
  /**
   * when set, each sub-step's wall time (s) is added here, its optimiser update included (for
   * benchmarks); the D and G steps, when they run as one graph, as 'd+g'
   */
  phaseSeconds?: Partial<Record<TrainStep | 'd+g', number>>;

  /** `stats`: what the networks' inputs and targets were standardised with (the exported models undo it) */
  constructor(
    readonly cfg: TrainConfig,
    ds: number,
    dt: number,
    rt: TrainerRuntime = {},
    private readonly stats: MappingStats = {},
  ) {
    if (!isGanArch(cfg.arch)) throw new Error(`GanTrainer cannot train ${cfg.arch}`);
    this.switches = lossSwitches(cfg.arch);
    const seeds = seedStream(cfg.seed);
    this.g = buildGenerator(ds, seeds);
    this.d = buildDiscriminator(seeds);
    this.e = buildExtractor(dt, seeds);
    // learning a residual: E's head starts at zero, so training starts exactly at the base map's result
    if (isResidual(cfg.arch)) {
      const fc = this.e.getLayer('e_fc');
      fc.setWeights(fc.getWeights().map((w) => tf.zerosLike(w)));
    }
    this.networks = { generator: this.g, discriminator: this.d, extractor: this.e };
    // on onnxruntime the gradients arrive as arrays: Adam runs on them directly (same update, same saved state)
    const adam = (lr: number, beta1 = 0.9) => (rt.ort ? new ArrayAdam(lr, beta1, 0.999) : tf.train.adam(lr, beta1, 0.999));
    // the joint step has its own Adam state, in two parameter groups: G at G's rate and betas, E at E's
    this.optimizers = {
      d: adam(cfg.lr.d, 0.5),
      g: adam(cfg.lr.g, 0.5),
      e: adam(cfg.lr.e),
      regG: adam(cfg.lr.g, 0.5),
      regE: adam(cfg.lr.e),
    };
    const names = (...nets: tf.LayersModel[]) => new Set(trainableVariables(...nets).map((v) => v.name));
    // each network a step trains is one parameter group; a step training several (the joint step) keeps
    // an Adam state per network (regG, regE), each at that network's rate and betas
    this.groupNames = Object.fromEntries(
      SCHEDULE.map((st) => [
        st.kind,
        st.trains.map((id) => ({
          optimizer: st.trains.length === 1 ? st.kind : `${st.kind}${id.toUpperCase()}`,
          names: names(this.net(id)),
        })),
      ]),
    ) as Record<TrainStep, { optimizer: string; names: Set<string> }[]>;
    if (rt.ort)
      this.onnx = new OnnxStepRunner(rt.ort, { g: this.g, d: this.d, e: this.e }, ds, dt, this.switches, cfg.lambda, rt.threads ?? 0);
    this.runtime = this.onnx ? 'onnxruntime' : 'tfjs';
  }

  get pretrainable(): boolean {
    return this.switches.recAdv || this.switches.recL2 || this.switches.rep;
  }

  async step(rows: number[], data: PairedData, opts: { pretrain?: boolean } = {}): Promise<Record<string, number>> {
    const switches = opts.pretrain ? { ...this.switches, reg: false } : this.switches;
    return this.onnx ? this.stepOnnx(this.onnx, rows, data, switches) : this.stepTfjs(rows, data, switches);
  }

  /** The same sub-steps as stepTfjs, each one onnxruntime graph per micro-batch; gradients summed, then one update. */
  private async stepOnnx(
    runner: OnnxStepRunner,
    rows: number[],
    data: PairedData,
    switches: LossSwitches,
  ): Promise<Record<string, number>> {
    const parts = microBatchData(rows, data, this.cfg.microBatch, readsFaces(switches));
    const n = rows.length;
    const out: Record<string, number> = {};
    const kernels = arrayKernels();
    // a sub-step's update from gradient sums over the batch, by parameter group
    const update = (kind: TrainStep, vars: tf.Variable[], sums: Float32Array[]) => {
      for (const { optimizer, names } of this.groups(kind)) {
        const idx = vars.flatMap((v, i) => (names.has(v.name) ? [i] : []));
        const vs = idx.map((i) => vars[i]),
          gs = idx.map((i) => sums[i]);
        if (isArrayAdam(optimizer)) {
          optimizer.applyArrays(vs, gs, 1 / n, runner.weightArrays(vs));
          runner.weightsUpdated(vs);
        } else applyGradientSums(optimizer, vs, gs, n);
      }
    };
    const sub = async (kind: TrainStep) => {
      let sums: Float32Array[] = [],
        vars: tf.Variable[] = [];
      const losses: Record<string, number> = {};
      for (const r of await runner.runAll(kind, parts)) {
        // each run's outputs are fresh arrays: the first micro-batch's become the sums
        if (!sums.length) {
          sums = r.grads;
          vars = r.variables;
        } else r.grads.forEach((g, i) => kernels.accumulate(sums[i], g));
        for (const [k, v] of Object.entries(r.losses)) losses[k] = (losses[k] ?? 0) + v;
      }
      update(kind, vars, sums);
      for (const [k, v] of Object.entries(losses)) out[k] = v / n;
    };
    // the D and G steps in one graph run when D's Adam can run inside it (its optimiser array-held);
    // with the D step on (Rec:Adv), the G step always has its adversarial term
    const dAdam = this.optimizers.d;
    const fused = switches.recAdv && isArrayAdam(dAdam);
    const adversarial = async () => {
      const r = await runner.runAdversarial(
        wholeBatch(parts),
        parts.map((p) => p.size),
        dAdam as ArrayAdam,
      );
      update('g', r.variables, r.grads);
      for (const [k, v] of Object.entries(r.losses)) out[k] = v / n;
    };
    const timed = async (phase: TrainStep | 'd+g', run: () => Promise<void>) => {
      const t0 = performance.now();
      await run();
      if (this.phaseSeconds) this.phaseSeconds[phase] = (this.phaseSeconds[phase] ?? 0) + (performance.now() - t0) / 1000;
    };
    for (const st of SCHEDULE)
      if (st.terms(switches).length) {
        if (fused && st.kind === 'd') await timed('d+g', adversarial);
        else if (!(fused && st.kind === 'g')) await timed(st.kind, () => sub(st.kind));
      }
    this.reportG(out);
    return out;
  }

  /**
   * One sub-step's loss terms (schedule.ts) on a micro-batch in TF.js: sums over its samples, keyed as
   * the onnxruntime graphs key them, each network application computed once. Gradients are taken
   * w.r.t. the sub-step's own networks only, so in the D step G needs no detaching.
   */
  lossTerms(kind: TrainStep, p: MicroBatch, switches: LossSwitches = this.switches): Record<string, tf.Scalar> {
    const memo = new Map<string, tf.Tensor>();
    const value = (v: Value): tf.Tensor => {
      if (typeof v === 'string') return v === 'x' ? p.x : v === 'y' ? p.y : p.faces!;
      const key = valueKey(v);
      let out = memo.get(key);
      if (!out) memo.set(key, (out = train(this.net(v.net), value(v.of))));
      return out;
    };
    return Object.fromEntries(
      subStep(kind)
        .terms(switches)
        .map((term) => [term.key, term.parts.map((q) => lossPartSum(q, value)).reduce((a, b) => tf.add(a, b))]),
    );
  }

  private net(id: NetId): tf.LayersModel {
    return id === 'g' ? this.g : id === 'd' ? this.d : this.e;
  }

  /** The G step's reported objective: λRec·rec + λAdv·adv. */
  private reportG(out: Record<string, number>): void {
    const keys = ['rec', 'adv'].filter((k) => k in out);
    if (keys.length) out.g = keys.reduce((sum, k) => sum + termWeight(k, this.cfg.lambda) * out[k], 0);
  }

  /** The objective a sub-step minimises from its loss terms: λRec·rec + λAdv·adv in the G step, the single term otherwise. */
  objective(terms: Record<string, tf.Scalar>): tf.Scalar {
    return Object.entries(terms).reduce<tf.Scalar>((acc, [k, v]) => {
      const w = termWeight(k, this.cfg.lambda);
      return tf.add(acc, w === 1 ? v : tf.mul(w, v));
    }, tf.scalar(0));
  }

  /** A sub-step's parameter groups with their current optimisers. */
  private groups(kind: TrainStep): ParamGroup[] {
    return this.groupNames[kind].map((g) => ({ optimizer: this.optimizers[g.optimizer], names: g.names }));
  }

  /** The variables a sub-step trains. */
  private trained(kind: TrainStep): tf.Variable[] {
    return trainableVariables(...subStep(kind).trains.map((id) => this.net(id)));
  }

  private stepTfjs(rows: number[], data: PairedData, switches: LossSwitches): Record<string, number> {
    const parts = microBatches(rows, data, this.cfg.microBatch, readsFaces(switches));
    const n = rows.length;
    const out: Record<string, number> = {};
    const sub = (kind: TrainStep) => {
      const sums: Record<string, number> = {};
      accumulateAndApply(this.groups(kind), this.trained(kind), parts, n, (p) => {
        const terms = this.lossTerms(kind, p, switches);
        for (const [k, v] of Object.entries(terms)) sums[k] = (sums[k] ?? 0) + v.dataSync()[0];
        return this.objective(terms);
      });
      for (const [k, v] of Object.entries(sums)) out[k] = v / n;
    };
    try {
      for (const st of SCHEDULE) if (st.terms(switches).length) sub(st.kind);
      this.reportG(out);
    } finally {
      disposeParts(parts);
    }
    return out;
  }

  /** The networks, their variables up to date (on onnxruntime the trained weights are held as arrays between steps). */
  get nets(): Record<string, tf.LayersModel> {
    this.onnx?.flush();
    return this.networks;
  }
  mapping(): tf.LayersModel {
    this.onnx?.flush();
    return (this.composed ??= composeMapping([this.g, this.e], this.stats));
  }
  async recalibrate(rows: number[], data: PairedData): Promise<void> {
    // G and E are applied directly: the composed model does not pass `training` down to nested models.
    await recalibrateBatchNorm([...this.g.layers, ...this.e.layers], microBatchData(rows, data, this.cfg.microBatch, false), async (p) => {
      if (this.onnx) await this.onnx.run('stats', p);
      else
        tf.tidy(() => {
          train(this.e, train(this.g, tf.tensor2d(p.x, [p.size, data.ds])));
        });
    });
  }
  get generator(): tf.LayersModel {
    this.onnx?.flush();
    return (this.composedGenerator ??= composeMapping([this.g], { x: this.stats.x }, 'r3an_generator'));
  }
  async dispose(): Promise<void> {
    await this.onnx?.release();
    for (const m of Object.values(this.networks)) m.dispose();
    for (const o of Object.values(this.optimizers)) o.dispose();
  }
}

export class MlpTrainer implements Trainer {
  readonly nets: Record<string, tf.LayersModel>;
  readonly optimizers: Record<string, tf.Optimizer>;
  private readonly mlp: tf.LayersModel;
  private composed?: tf.LayersModel;
  readonly runtime = 'tfjs';
  readonly pretrainable = false;
  constructor(
    readonly cfg: TrainConfig,
    ds: number,
    dt: number,
    private readonly stats: MappingStats = {},
  ) {
    this.mlp = buildMlp(ds, dt, cfg.mlpHidden, seedStream(cfg.seed));
    this.nets = { mlp: this.mlp };
    this.optimizers = { fc: tf.train.adam(cfg.lr.fc) };
  }
  async step(rows: number[], data: PairedData): Promise<Record<string, number>> {
    const parts = microBatches(rows, data, this.cfg.microBatch, false);
    try {
      const vars = trainableVariables(this.mlp);
      return {
        l2: accumulateAndApply(
          [{ optimizer: this.optimizers.fc, names: new Set(vars.map((v) => v.name)) }],
          vars,
          parts,
          rows.length,
          (p) => featureL2Sum(p.y, train(this.mlp, p.x) as tf.Tensor2D),
        ),
      };
    } finally {
      disposeParts(parts);
    }
  }
  mapping(): tf.LayersModel {
    return (this.composed ??= composeMapping([this.mlp], this.stats, 'fc_mapping'));
  }
  async recalibrate(rows: number[], data: PairedData): Promise<void> {
    await recalibrateBatchNorm(this.mlp.layers, microBatchData(rows, data, this.cfg.microBatch, false), (p) => {
      tf.tidy(() => {
        train(this.mlp, tf.tensor2d(p.x, [p.size, data.ds]));
      });
    });
  }
  async dispose(): Promise<void> {
    this.mlp.dispose();
    this.optimizers.fc.dispose();
  }
}

/**
 * Re-estimates the batch-norm moving statistics of `layers` with training-mode passes: momentum
 * k/(k+1) on the k-th micro-batch makes them the exact mean over all of them.
 */
async function recalibrateBatchNorm(
  layers: tf.layers.Layer[],
  parts: MicroBatchData[],
  pass: (p: MicroBatchData) => void | Promise<void>,
): Promise<void> {
  const norms = layers.filter((l) => l.getClassName() === 'BatchNormalization') as unknown as { momentum: number }[];
  try {
    for (const [k, p] of parts.entries()) {
      for (const bn of norms) bn.momentum = k / (k + 1);
      await pass(p);
    }
  } finally {
    for (const bn of norms) bn.momentum = BN_MOMENTUM;
  }
}

/** The trainer for an architecture; GAN architectures run on onnxruntime when `rt.ort` is given. */
export function createTrainer(cfg: TrainConfig, ds: number, dt: number, rt: TrainerRuntime = {}, stats: MappingStats = {}): Trainer {
  switch (ARCHITECTURES[cfg.arch].fit) {
    case 'mlp':
      return new MlpTrainer(cfg, ds, dt, stats);
    case 'gan':
      return new GanTrainer(cfg, ds, dt, rt, stats);
    default:
      throw new Error(`${cfg.arch} is not trained iteratively`);
  }
}
