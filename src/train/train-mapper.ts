// `r3an train`: pair two feature sets, hold out a validation slice, train the chosen architecture
// epoch by epoch (checkpoints, resume, best-so-far export), or fit the ridge baseline in closed form.
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import path from 'node:path';
import { FeatureSet } from '../features/feature-set.js';
import { ridgeModel, fitRidge } from '../nn/linear.js';
import { featureStats, standardiseRows } from '../nn/standardise.js';
import { exportMapper, MAPPER_JSON, readMapperManifest, writeMapperManifest, type MapperManifest } from '../mapper/mapper.js';
import { epochOrder, shuffled } from '../core/rng.js';
import { gatherRows } from '../features/rows.js';
import { CHECKPOINT_DIR, readCheckpointState, restoreCheckpoint, saveCheckpoint, type EpochRecord, type TrainState } from './checkpoint.js';
import { makeConfig, RIDGE_GRID, type TrainConfig } from './config.js';
import { pairFeatureSets, splitForValidation, subset, type PairedData } from './paired-data.js';
import {
  ARCHITECTURES,
  AUTO_FAMILIES,
  isClosedForm,
  isGanArch,
  isResidual,
  needsCrops,
  type Arch,
  type ClosedFormArch,
} from './architectures.js';
import { fitProcrustes } from '../nn/procrustes.js';
import { loadMapper } from '../mapper/mapper.js';
import { createTrainer, type TrainerRuntime } from './trainers.js';
import { isBetter, SELECTION_RULE, validate, type ValidationContext, type ValidationMetrics } from './validation.js';
import { predictRows } from '../nn/predict.js';
import { GAIN_GRID, withOutputGain } from '../nn/output-gain.js';

export interface TrainEvents {
  onLog?: (msg: string) => void;
  onEpochStart?: (epoch: number, iterations: number, startIteration: number, epochs: number) => void;
  onIteration?: (samples: number, losses: Record<string, number>) => void;
  onEpochEnd?: (rec: EpochRecord) => void;
}

export interface TrainRequest {
  source: string;
  target: string;
  out: string;
  config: TrainConfig;
  resume?: boolean;
  /** stop after this many epochs in this call (the run stays resumable); for tests and time-boxed jobs */
  stopAfterEpochs?: number;
  /** what the manifest records as the backend */
  backend: string;
  /** onnxruntime for the GAN architectures' steps (default: TF.js) */
  runtime?: TrainerRuntime;
  events?: TrainEvents;
  /**
   * `auto` only: finished mappers trained on the same source and target sets (an experiment's other
   * columns), compared as they are instead of training those families again
   */
  candidates?: Partial<Record<Arch, string>>;
}

export interface TrainResult {
  manifest: MapperManifest;
  best?: { epoch: number; val: ValidationMetrics };
  finished: boolean;
}

function sameRun(a: TrainConfig, b: TrainConfig): string | undefined {
  for (const k of ['arch', 'seed', 'batchSize', 'valFraction', 'iters', 'pretrainIters'] as const)
    if (a[k] !== b[k]) return `${k} ${JSON.stringify(b[k])} ≠ ${JSON.stringify(a[k])}`;
  if (JSON.stringify(a.lr) !== JSON.stringify(b.lr) || JSON.stringify(a.lambda) !== JSON.stringify(b.lambda))
    return 'learning rates or λs differ';
  if (ARCHITECTURES[a.arch].fit === 'mlp' && JSON.stringify(a.mlpHidden) !== JSON.stringify(b.mlpHidden)) return 'MLP hidden sizes differ';
  return undefined;
}

export async function trainMapper(req: TrainRequest): Promise<TrainResult> {
  if (req.config.arch === 'auto') return trainAuto(req);
  const log = req.events?.onLog ?? (() => {});
  const cfg = req.config;
  const srcSet = FeatureSet.open(req.source),
    tgtSet = FeatureSet.open(req.target);
  if (srcSet.manifest.mappedFrom || tgtSet.manifest.mappedFrom)
    throw new Error('train on features extracted by the models themselves, not on mapped features');
  const existing = readCheckpointState(req.out);
  if (req.resume) {
    if (!existing) throw new Error(`${req.out}: nothing to resume (no ${CHECKPOINT_DIR}/state.json)`);
    const diff = sameRun(existing.config, cfg);
    if (diff) throw new Error(`${req.out}: cannot resume with a different configuration (${diff}); start a new output directory`);
    if (existing.source.id !== srcSet.model.id || existing.target.id !== tgtSet.model.id) {
      throw new Error(`${req.out}: was trained ${existing.source.id} → ${existing.target.id}, not ${srcSet.model.id} → ${tgtSet.model.id}`);
    }
  } else if (existing || fs.existsSync(path.join(req.out, MAPPER_JSON))) {
    throw new Error(`${req.out}: already holds a mapper or a training run; pass --resume to continue it or choose another --out`);
  }

  const { data, unpairedSource, unpairedTarget } = pairFeatureSets(srcSet, tgtSet, needsCrops(cfg.arch));
  if (unpairedSource || unpairedTarget)
    log(`paired ${data.n} images; ${unpairedSource} source and ${unpairedTarget} target items have no partner and are left out`);
  const split = splitForValidation(data, cfg.valFraction, cfg.seed);
  const train = subset(data, split.train),
    val = split.val.length ? subset(data, split.val) : undefined;
  if (train.n === 0) throw new Error('no training items left after the validation hold-out');
  log(
    `${cfg.arch}: ${train.n} training pairs, ${val?.n ?? 0} validation pairs (${srcSet.model.id} ${data.ds}-d → ${tgtSet.model.id} ${data.dt}-d)`,
  );

  const base = {
    arch: cfg.arch,
    source: srcSet.model,
    target: tgtSet.model,
    config: cfg,
    training: { pairs: data.n, trainItems: train.n, valItems: val?.n ?? 0, backend: req.backend, finished: false },
  };

  // the training targets' statistics: validation's mean, and the networks' standardisation unless residual
  const yStats = featureStats(train.y, train.n, train.dt);
  const ctx = validationContext(cfg, train, yStats.mean);
  if (isClosedForm(cfg.arch)) {
    const t0 = Date.now();
    const fit = fitClosedForm(cfg.arch, cfg, train, val, ctx, log);
    const v = fit.val;
    const rec: EpochRecord = { epoch: 0, losses: {}, ...(v ? { val: v } : {}), seconds: (Date.now() - t0) / 1000 };
    const config = fit.lambda != null ? { ...cfg, ridgeLambda: fit.lambda } : cfg;
    const manifest = {
      ...base,
      config,
      ...(fit.selection ? { selection: fit.selection } : {}),
      history: [rec],
      ...(v ? { metrics: { epoch: 0, val: v } } : {}),
      training: { ...base.training, finished: true },
    };
    await exportWithGain(req.out, manifest, fit.model, ctx, v);
    req.events?.onEpochEnd?.(rec);
    fit.model.dispose();
    return { manifest: manifest as MapperManifest, ...(v ? { best: { epoch: 0, val: v } } : {}), finished: true };
  }

  // R³AN-res: a ridge map fitted first and frozen; the networks learn what it leaves, Y − ridge(X)
  let residualBase: tf.LayersModel | undefined;
  let target = train.y;
  if (isResidual(cfg.arch)) {
    // the base is fitted without a gain: the gain applies to the whole mapping's output
    const fit = fitClosedForm('linear', cfg, train, val, { ...ctx, gains: [1] }, log);
    residualBase = fit.model;
    residualBase.trainable = false;
    const fitted = predictRows(residualBase, train.x, train.ds);
    target = Float32Array.from(train.y, (v, i) => v - fitted[i]);
    log(
      `${cfg.arch}: frozen ridge base (${fit.lambda != null ? `λ=${fit.lambda}` : ''}; val top1=${fit.val?.top1?.toFixed(4) ?? '–'}); the networks learn its residual`,
    );
  }
  // the networks learn on standardised features; the exported mapping undoes it (see standardise.ts)
  const stats = {
    x: featureStats(train.x, train.n, train.ds),
    y: residualBase ? featureStats(target, train.n, train.dt) : yStats,
    ...(residualBase ? { base: residualBase } : {}),
  };
  const trainStd = { ...train, x: standardiseRows(train.x, stats.x), y: standardiseRows(target, stats.y) };
  const trainer = createTrainer(cfg, data.ds, data.dt, req.runtime, stats);
  const iterations = Math.ceil(train.n / cfg.batchSize);
  const epochs = cfg.iters != null ? Math.ceil(cfg.iters / iterations) : cfg.epochs;
  log(
    `${cfg.arch}: training steps on ${trainer.runtime}; ${epochs} epochs of ${iterations} iterations${cfg.timeMinutes ? `, at most ≈ ${cfg.timeMinutes} min` : ''}`,
  );
  try {
    let state: TrainState =
      existing && req.resume
        ? existing
        : {
            config: cfg,
            source: { id: srcSet.model.id, dim: srcSet.dim },
            target: { id: tgtSet.model.id, dim: tgtSet.dim },
            epoch: 0,
            iteration: 0,
            epochLossSums: {},
            history: [],
            elapsedSeconds: 0,
          };
    if (req.resume) {
      await restoreCheckpoint(req.out, trainer);
      state = {
        ...state,
        config: { ...state.config, epochs: cfg.epochs, microBatch: cfg.microBatch, checkpointMinutes: cfg.checkpointMinutes },
      };
      log(`resuming at epoch ${state.epoch + 1}, iteration ${state.iteration}`);
    }
    let lastCheckpoint = Date.now();
    // label-free pre-training of G (Rec, Adv) and E (Rep) on the training rows, before the schedule
    const pretrain = (cfg.pretrainIters ?? 0) > 0 && trainer.pretrainable;
    if ((cfg.pretrainIters ?? 0) > 0 && !pretrain) log(`${cfg.arch} has no label-free steps: --pretrain ignored`);
    if (pretrain && (state.pretrained ?? 0) < cfg.pretrainIters!) {
      log(`pre-training ${cfg.pretrainIters} iterations (D, G and E steps; no regression)`);
      const t0 = Date.now();
      let order: number[] = [];
      for (let it = state.pretrained ?? 0; it < cfg.pretrainIters!; it++) {
        const e = Math.floor((it * cfg.batchSize) / train.n),
          s = (it * cfg.batchSize) % train.n;
        if (s === 0 || !order.length) order = epochOrder(train.n, cfg.seed + 7777, e);
        const losses = await trainer.step(order.slice(s, s + cfg.batchSize), trainStd, { pretrain: true });
        for (const [k, v] of Object.entries(losses))
          if (!Number.isFinite(v))
            throw new Error(
              `pre-training loss ${k} became ${v} at iteration ${it + 1}; ${req.out}/${CHECKPOINT_DIR} still holds the last good state`,
            );
        state.pretrained = it + 1;
        req.events?.onIteration?.(cfg.batchSize, losses);
        if (Date.now() - lastCheckpoint > cfg.checkpointMinutes * 60_000) {
          await saveCheckpoint(req.out, trainer, state);
          lastCheckpoint = Date.now();
        }
      }
      state.elapsedSeconds += (Date.now() - t0) / 1000;
      await saveCheckpoint(req.out, trainer, state);
      log(`pre-training done (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    let epochsThisCall = 0;
    let timeUp = false;
    while (state.epoch < epochs && !timeUp) {
      const order = epochOrder(train.n, cfg.seed, state.epoch);
      req.events?.onEpochStart?.(state.epoch, iterations, state.iteration, epochs);
      let t0 = Date.now();
      for (let it = state.iteration; it < iterations; it++) {
        const rows = order.slice(it * cfg.batchSize, (it + 1) * cfg.batchSize);
        const losses = await trainer.step(rows, trainStd);
        for (const [k, v] of Object.entries(losses)) {
          // weights updated from a non-finite loss are lost: stop and keep the last checkpoint intact
          if (!Number.isFinite(v))
            throw new Error(
              `loss ${k} became ${v} at epoch ${state.epoch + 1}, iteration ${it + 1}; ${req.out}/${CHECKPOINT_DIR} still holds the last good state (lower the learning rates, then --resume)`,
            );
          state.epochLossSums[k] = (state.epochLossSums[k] ?? 0) + v * rows.length;
        }
        state.iteration = it + 1;
        req.events?.onIteration?.(rows.length, losses);
        if (Date.now() - lastCheckpoint > cfg.checkpointMinutes * 60_000 && state.iteration < iterations) {
          state.elapsedSeconds += (Date.now() - t0) / 1000;
          t0 = Date.now();
          await saveCheckpoint(req.out, trainer, state);
          lastCheckpoint = Date.now();
        }
      }
      state.elapsedSeconds += (Date.now() - t0) / 1000;
      await trainer.recalibrate(recalibrationRows(order), trainStd);
      const v = val ? validate(trainer.mapping(), val, ctx) : undefined;
      const losses = Object.fromEntries(Object.entries(state.epochLossSums).map(([k, s]) => [k, s / train.n]));
      const rec: EpochRecord = {
        epoch: state.epoch + 1,
        iterations: (state.epoch + 1) * iterations,
        losses,
        ...(v ? { val: v } : {}),
        seconds: state.elapsedSeconds,
      };
      state.history.push(rec);
      // without a validation slice the latest epoch is the one exported
      const improved = !state.best || !v || isBetter(v, state.best.val);
      if (improved) state.best = { epoch: rec.epoch, val: v ?? { cosine: NaN } };
      state.epoch += 1;
      state.iteration = 0;
      state.epochLossSums = {};
      timeUp = cfg.timeMinutes != null && state.elapsedSeconds >= cfg.timeMinutes * 60;
      const finished = state.epoch >= epochs || timeUp;
      const manifest = {
        ...base,
        history: state.history,
        training: { ...base.training, finished },
        ...(state.best ? { metrics: { epoch: state.best.epoch, val: state.best.val } } : {}),
      };
      if (improved) await exportWithGain(req.out, manifest, trainer.mapping(), ctx, v, trainer.generator);
      else writeManifestOnly(req.out, manifest);
      await saveCheckpoint(req.out, trainer, state);
      lastCheckpoint = Date.now();
      req.events?.onEpochEnd?.(rec);
      epochsThisCall++;
      if (req.stopAfterEpochs != null && epochsThisCall >= req.stopAfterEpochs && !finished) break;
    }
    const manifest = readMapperManifest(req.out);
    return {
      manifest,
      ...(state.best ? { best: { epoch: state.best.epoch, val: state.best.val } } : {}),
      finished: manifest.training.finished,
    };
  } finally {
    await trainer.dispose();
    residualBase?.dispose();
  }
}

/**
 * Ridge (λ from RIDGE_GRID by validation when 'auto') or Procrustes, fitted on the training pairs;
 * `selection` records the λ comparison when there was one.
 */
function fitClosedForm(
  arch: ClosedFormArch,
  cfg: TrainConfig,
  train: PairedData,
  val: PairedData | undefined,
  ctx: ValidationContext,
  log: (m: string) => void,
) {
  const lambdas =
    ARCHITECTURES[arch].fit === 'procrustes'
      ? [undefined]
      : cfg.ridgeLambda === 'auto' && val
        ? [...RIDGE_GRID]
        : [cfg.ridgeLambda === 'auto' ? 1e-3 : cfg.ridgeLambda];
  const candidates = lambdas.map((lambda) => {
    const model = ridgeModel(
      lambda == null
        ? fitProcrustes(train.x, train.y, train.n, train.ds, train.dt)
        : fitRidge(train.x, train.y, train.n, train.ds, train.dt, lambda),
    );
    const v = val ? validate(model, val, ctx) : undefined;
    if (lambda != null && lambdas.length > 1)
      log(
        `ridge λ=${lambda}: val top1=${v?.top1?.toFixed(4) ?? '–'}${v?.gain ? ` (gain ${v.gain})` : ''} centred cos=${v?.centredCosine?.toFixed(4) ?? '–'}`,
      );
    return { label: lambda == null ? 'procrustes' : `λ=${lambda}`, lambda, model, v };
  });
  const best = candidates.reduce((a, b) => (b.v && a.v && isBetter(b.v, a.v) ? b : a));
  for (const c of candidates) if (c !== best) c.model.dispose();
  const selection =
    candidates.length > 1
      ? { by: SELECTION_RULE, chosen: best.label, candidates: candidates.map((c) => ({ label: c.label, ...(c.v ? { val: c.v } : {}) })) }
      : undefined;
  return { model: best.model, lambda: best.lambda, val: best.v, selection };
}

/** Training-side rows validation searches among: at most this many target features of training people. */
const VALIDATION_DISTRACTORS = 2000;

/**
 * What validation measures against: the training targets' mean, up to VALIDATION_DISTRACTORS target
 * features of training identities (original rows; validation identities are disjoint from them) as
 * distractors, and the output gains to choose from.
 */
function validationContext(cfg: TrainConfig, train: PairedData, targetMean: Float32Array): ValidationContext {
  const rows = shuffled(
    Array.from({ length: train.n }, (_, i) => i).filter((i) => train.original?.[i] ?? true),
    cfg.seed,
  ).slice(0, VALIDATION_DISTRACTORS);
  return {
    targetMean,
    distractors: gatherRows(
      train.y,
      train.dt,
      rows.sort((a, b) => a - b),
    ),
    gains: cfg.gain === 'auto' ? GAIN_GRID : [cfg.gain],
  };
}

/** Exports `mapping` with the output gain validation chose (the gain layer is the export's own). */
async function exportWithGain(
  dir: string,
  manifest: Parameters<typeof exportMapper>[1],
  mapping: tf.LayersModel,
  ctx: ValidationContext,
  v: ValidationMetrics | undefined,
  generator?: tf.LayersModel,
): Promise<void> {
  const gained = withOutputGain(mapping, ctx.targetMean!, v?.gain ?? 1);
  try {
    await exportMapper(dir, manifest, { mapping: gained, ...(generator ? { generator } : {}) });
  } finally {
    if (gained !== mapping) gained.getLayer('output_gain').dispose();
  }
}

/** Rows for batch-norm recalibration: up to 1024 of the epoch's samples. */
export function recalibrationRows(order: number[]): number[] {
  return order.slice(0, 1024);
}

/** Updates history and status without touching the exported (best) weights. */
function writeManifestOnly(dir: string, manifest: Omit<MapperManifest, 'format' | 'version' | 'files' | 'createdAt'>): void {
  const prev = readMapperManifest(dir);
  writeMapperManifest(dir, { ...prev, ...manifest, files: prev.files, createdAt: prev.createdAt });
}

/**
 * `--arch auto`: trains each family of AUTO_FAMILIES into MAPPER/candidates/<arch> (R³AN only with a
 * time budget, and with the time the others left), keeps the one with the best validation and writes
 * it as the mapper, recording every family's validation and why the winner won. Reruns reuse
 * finished candidates and resume interrupted ones.
 */
async function trainAuto(req: TrainRequest): Promise<TrainResult> {
  const log = req.events?.onLog ?? (() => {});
  const cfg = req.config;
  if (!req.resume && fs.existsSync(path.join(req.out, MAPPER_JSON)))
    throw new Error(`${req.out}: already holds a mapper; choose another --out`);
  const t0 = Date.now();
  const results: { arch: string; dir: string; val?: ValidationMetrics; seconds: number }[] = [];
  for (const arch of AUTO_FAMILIES) {
    const given = req.candidates?.[arch];
    const givenManifest = given && fs.existsSync(path.join(given, MAPPER_JSON)) ? readMapperManifest(given) : undefined;
    if (given && givenManifest?.training.finished) {
      log(`auto: ${arch}: comparing the finished ${given}`);
      results.push({
        arch,
        dir: given,
        ...(givenManifest.metrics ? { val: givenManifest.metrics.val } : {}),
        seconds: givenManifest.history.at(-1)?.seconds ?? 0,
      });
      continue;
    }
    const left = cfg.timeMinutes != null ? cfg.timeMinutes - (Date.now() - t0) / 60_000 : undefined;
    const gan = isGanArch(arch);
    // the networks share what time is left equally
    const share = left != null ? left / AUTO_FAMILIES.slice(AUTO_FAMILIES.indexOf(arch)).filter(isGanArch).length : undefined;
    if (gan && !(share != null && share >= 1)) {
      log(`auto: ${arch} skipped (${share == null ? 'give --time to include it' : 'no time left'})`);
      continue;
    }
    const dir = path.join(req.out, 'candidates', arch);
    const { arch: _a, iters, timeMinutes: _t, ...rest } = cfg;
    const sub = makeConfig(arch, { ...rest, ...(gan ? { ...(iters != null ? { iters } : {}), timeMinutes: share } : {}) });
    let manifest: MapperManifest | undefined;
    if (fs.existsSync(path.join(dir, MAPPER_JSON))) {
      const m = readMapperManifest(dir);
      if (m.training.finished) manifest = m;
    }
    if (manifest) log(`auto: ${arch}: reusing ${dir}`);
    else {
      log(`auto: training ${arch}`);
      const resume = readCheckpointState(dir) != null;
      manifest = (await trainMapper({ ...req, out: dir, config: sub, resume })).manifest;
    }
    const seconds = manifest.history.at(-1)?.seconds ?? 0;
    results.push({ arch, dir, ...(manifest.metrics ? { val: manifest.metrics.val } : {}), seconds });
    log(
      `auto: ${arch}: val top1=${manifest.metrics?.val.top1?.toFixed(4) ?? '–'} centred cos=${manifest.metrics?.val.centredCosine?.toFixed(4) ?? '–'}`,
    );
  }
  const best = results.reduce((a, b) => (b.val && (!a.val || isBetter(b.val, a.val)) ? b : a));
  const chosen = await loadMapper(best.dir, { withGenerator: true });
  const { format: _f, version: _v, files: _files, createdAt: _c, ...m } = chosen.manifest;
  const selection = {
    by: SELECTION_RULE,
    chosen: best.arch,
    candidates: results.map((r) => ({ label: r.arch, ...(r.val ? { val: r.val } : {}), seconds: r.seconds })),
  };
  await exportMapper(
    req.out,
    { ...m, selection },
    { mapping: chosen.mapping, ...(chosen.generator ? { generator: chosen.generator } : {}) },
  );
  chosen.mapping.dispose();
  chosen.generator?.dispose();
  log(`auto: chose ${best.arch} (${SELECTION_RULE})`);
  const manifest = readMapperManifest(req.out);
  return { manifest, ...(manifest.metrics ? { best: { epoch: manifest.metrics.epoch, val: manifest.metrics.val } } : {}), finished: true };
}
