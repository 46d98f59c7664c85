// The trainable mappers. GanTrainer runs the paper's Optimization slide step for step
// (D step; G step on λRec·LRec + λAdv·LAdv; E step on LRep; joint (G,E) step on LReg), with each
// step switched on or off by the Table 3 preset. MlpTrainer is the FC baseline (L2 only).
import * as tf from '@tensorflow/tfjs';
import { buildDiscriminator } from '../nn/discriminator.js';
import { buildExtractor } from '../nn/extractor.js';
import { buildGenerator, FACE_SIZE } from '../nn/generator.js';
import { BN_MOMENTUM, seedStream } from '../nn/init.js';
import { composeMapping } from '../nn/mapping.js';
import { buildMlp } from '../nn/mlp.js';
import type { TrainConfig } from './config.js';
import { accumulateAndApply, trainableVariables } from './gradient-accumulation.js';
import { adversarialLossSum, discriminatorLossSum, featureL2Sum, imageL2Sum } from './losses.js';
import type { PairedData } from './paired-data.js';
import { gatherRows } from '../features/rows.js';
import { TABLE3, isGanArch, type LossSwitches } from './presets.js';

export interface Trainer {
  /** every network whose weights a checkpoint must hold */
  readonly nets: Record<string, tf.LayersModel>;
  readonly optimizers: Record<string, tf.Optimizer>;
  /** one training iteration on the given rows; returns batch-mean losses */
  step(rows: number[], data: PairedData): Record<string, number>;
  /** the run-time mapping X → Y */
  mapping(): tf.LayersModel;
  /**
   * Re-estimates batch-norm moving statistics with forward passes of the mapping over training rows
   * ("precise BN"): on short CPU runs the moving averages lag the fast-changing weights, and
   * inference-mode outputs would drift far from what training optimised.
   */
  recalibrate(rows: number[], data: PairedData): void;
  dispose(): void;
}

interface MicroBatch { x: tf.Tensor2D; y: tf.Tensor2D; faces?: tf.Tensor4D; size: number }

function microBatches(rows: number[], data: PairedData, size: number, withFaces: boolean): MicroBatch[] {
  const parts: MicroBatch[] = [];
  const cropLen = FACE_SIZE * FACE_SIZE * 3;
  for (let s = 0; s < rows.length; s += size) {
    const r = rows.slice(s, s + size);
    const x = gatherRows(data.x, data.ds, r), y = gatherRows(data.y, data.dt, r);
    let faces: tf.Tensor4D | undefined;
    if (withFaces) {
      if (!data.crops) throw new Error('this architecture needs face crops');
      // uint8 [0,255] → [-1,1], the generator's tanh range
      const f = Float32Array.from(gatherRows(data.crops, cropLen, r), (v) => v / 127.5 - 1);
      faces = tf.tensor4d(f, [r.length, FACE_SIZE, FACE_SIZE, 3]);
    }
    parts.push({ x: tf.tensor2d(x, [r.length, data.ds]), y: tf.tensor2d(y, [r.length, data.dt]), faces, size: r.length });
  }
  return parts;
}

const disposeParts = (parts: MicroBatch[]) => parts.forEach((p) => tf.dispose([p.x, p.y, ...(p.faces ? [p.faces] : [])]));
const train = (m: tf.LayersModel, x: tf.Tensor) => m.apply(x, { training: true }) as tf.Tensor;

export class GanTrainer implements Trainer {
  readonly nets: Record<string, tf.LayersModel>;
  readonly optimizers: Record<string, tf.Optimizer>;
  readonly switches: LossSwitches;
  private readonly g: tf.LayersModel;
  private readonly d: tf.LayersModel;
  private readonly e: tf.LayersModel;
  private composed?: tf.LayersModel;

  constructor(readonly cfg: TrainConfig, ds: number, dt: number) {
    if (!isGanArch(cfg.arch)) throw new Error(`GanTrainer cannot train ${cfg.arch}`);
    this.switches = TABLE3[cfg.arch];
    const seeds = seedStream(cfg.seed);
    this.g = buildGenerator(ds, seeds);
    this.d = buildDiscriminator(seeds);
    this.e = buildExtractor(dt, seeds);
    this.nets = { generator: this.g, discriminator: this.d, extractor: this.e };
    this.optimizers = {
      d: tf.train.adam(cfg.lr.d, 0.5, 0.999),
      g: tf.train.adam(cfg.lr.g, 0.5, 0.999),
      e: tf.train.adam(cfg.lr.e),
      reg: tf.train.adam(cfg.lr.reg),
    };
  }

  step(rows: number[], data: PairedData): Record<string, number> {
    const { recAdv, recL2, rep, reg } = this.switches;
    const { lambda } = this.cfg;
    const parts = microBatches(rows, data, this.cfg.microBatch, recAdv || recL2 || rep);
    const n = rows.length;
    const out: Record<string, number> = {};
    try {
      if (recAdv) {
        out.d = accumulateAndApply(this.optimizers.d, trainableVariables(this.d), parts, n, (p) => {
          // gradients are taken w.r.t. D only, so G needs no detaching here
          const fake = train(this.g, p.x);
          return discriminatorLossSum(train(this.d, p.faces!), train(this.d, fake));
        });
      }
      if (recAdv || recL2) {
        let rec = 0, adv = 0;
        out.g = accumulateAndApply(this.optimizers.g, trainableVariables(this.g), parts, n, (p) => {
          const fake = train(this.g, p.x) as tf.Tensor4D;
          let loss = tf.scalar(0);
          if (recL2) { const l = imageL2Sum(p.faces!, fake); rec += l.dataSync()[0]; loss = tf.add(loss, tf.mul(lambda.rec, l)); }
          if (recAdv) { const l = adversarialLossSum(train(this.d, fake)); adv += l.dataSync()[0]; loss = tf.add(loss, tf.mul(lambda.adv, l)); }
          return loss;
        });
        if (recL2) out.rec = rec / n;
        if (recAdv) out.adv = adv / n;
      }
      if (rep) {
        out.rep = accumulateAndApply(this.optimizers.e, trainableVariables(this.e), parts, n,
          (p) => featureL2Sum(p.y, train(this.e, p.faces!) as tf.Tensor2D));
      }
      if (reg) {
        out.reg = accumulateAndApply(this.optimizers.reg, trainableVariables(this.g, this.e), parts, n,
          (p) => tf.mul(lambda.reg, featureL2Sum(p.y, train(this.e, train(this.g, p.x)) as tf.Tensor2D)));
      }
    } finally { disposeParts(parts); }
    return out;
  }

  mapping(): tf.LayersModel { return (this.composed ??= composeMapping(this.g, this.e)); }
  recalibrate(rows: number[], data: PairedData): void {
    // Momentum k/(k+1) on the k-th micro-batch makes the moving statistics the exact mean over all of them.
    // G and E are applied directly: the composed model does not pass `training` down to nested models.
    const norms = [...this.g.layers, ...this.e.layers].filter((l) => l.getClassName() === 'BatchNormalization') as unknown as { momentum: number }[];
    const parts = microBatches(rows, data, this.cfg.microBatch, false);
    try {
      parts.forEach((p, k) => {
        for (const bn of norms) bn.momentum = k / (k + 1);
        tf.tidy(() => { train(this.e, train(this.g, p.x)); });
      });
    } finally {
      for (const bn of norms) bn.momentum = BN_MOMENTUM;
      disposeParts(parts);
    }
  }
  get generator(): tf.LayersModel { return this.g; }
  dispose(): void { for (const m of Object.values(this.nets)) m.dispose(); for (const o of Object.values(this.optimizers)) o.dispose(); }
}

export class MlpTrainer implements Trainer {
  readonly nets: Record<string, tf.LayersModel>;
  readonly optimizers: Record<string, tf.Optimizer>;
  private readonly mlp: tf.LayersModel;
  constructor(readonly cfg: TrainConfig, ds: number, dt: number) {
    this.mlp = buildMlp(ds, dt, cfg.mlpHidden, seedStream(cfg.seed));
    this.nets = { mlp: this.mlp };
    this.optimizers = { fc: tf.train.adam(cfg.lr.fc) };
  }
  step(rows: number[], data: PairedData): Record<string, number> {
    const parts = microBatches(rows, data, this.cfg.microBatch, false);
    try {
      return { l2: accumulateAndApply(this.optimizers.fc, trainableVariables(this.mlp), parts, rows.length, (p) => featureL2Sum(p.y, train(this.mlp, p.x) as tf.Tensor2D)) };
    } finally { disposeParts(parts); }
  }
  mapping(): tf.LayersModel { return this.mlp; }
  recalibrate(): void { /* no batch norm */ }
  dispose(): void { this.mlp.dispose(); this.optimizers.fc.dispose(); }
}

export function createTrainer(cfg: TrainConfig, ds: number, dt: number): Trainer {
  if (cfg.arch === 'fc') return new MlpTrainer(cfg, ds, dt);
  if (isGanArch(cfg.arch)) return new GanTrainer(cfg, ds, dt);
  throw new Error(`${cfg.arch} is fitted in closed form, not trained iteratively`);
}
