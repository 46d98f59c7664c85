// Resumable training state: every network's weights (batch-norm statistics included), every
// optimiser's moments, and where in which epoch the run stood. Written atomically.
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import path from 'node:path';
import { replaceDirAtomic } from '../io/atomic.js';
import { readTensorBundle, writeTensorBundle } from '../io/tensor-bundle.js';
import type { TrainConfig } from './config.js';
import type { Trainer } from './trainers.js';
import type { ValidationMetrics } from './validation.js';

export const CHECKPOINT_DIR = 'checkpoint';
// Adam's running β^t products: setWeights recomputes them with pow(), which differs from the repeated
// products in the last float bits; saving them makes a resumed run bit-identical to an uninterrupted one.
const ADAM_POWERS = ['accBeta1', 'accBeta2'] as const;

/** One epoch's record: mean losses, validation, and (for learning curves) the iterations run so far. */
export interface EpochRecord {
  epoch: number;
  iterations?: number;
  losses: Record<string, number>;
  val?: ValidationMetrics;
  seconds: number;
}

export interface TrainState {
  config: TrainConfig;
  source: { id: string; dim: number };
  target: { id: string; dim: number };
  /** pre-training iterations done (see TrainConfig.pretrainIters) */
  pretrained?: number;
  /** the epoch in progress (0-based) and the next iteration in it */
  epoch: number;
  iteration: number;
  /** running sums of this epoch's losses so far (for the epoch record) */
  epochLossSums: Record<string, number>;
  history: EpochRecord[];
  best?: { epoch: number; val: ValidationMetrics };
  elapsedSeconds: number;
}

export async function saveCheckpoint(mapperDir: string, trainer: Trainer, state: TrainState): Promise<void> {
  const named: { name: string; tensor: tf.Tensor }[] = [];
  for (const [net, model] of Object.entries(trainer.nets))
    model.getWeights().forEach((t, i) => named.push({ name: `net:${net}:${i}`, tensor: t }));
  for (const [opt, optimizer] of Object.entries(trainer.optimizers)) {
    (await optimizer.getWeights()).forEach((w, i) => named.push({ name: `opt:${opt}:${i}:${w.name}`, tensor: w.tensor }));
  }
  for (const [opt, optimizer] of Object.entries(trainer.optimizers)) {
    for (const key of ADAM_POWERS) {
      const v = (optimizer as unknown as Record<string, tf.Variable | undefined>)[key];
      if (v) named.push({ name: `adam:${opt}:${key}`, tensor: v });
    }
  }
  await replaceDirAtomic(path.join(mapperDir, CHECKPOINT_DIR), (dir) => {
    writeTensorBundle(path.join(dir, 'tensors.bin'), path.join(dir, 'tensors.json'), named);
    fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
  });
  // getWeights hands out live variables and fresh tensors (iteration counts, array-held moments): free the latter
  tf.dispose(named.map((t) => t.tensor).filter((t) => !(t instanceof tf.Variable)));
}

export function readCheckpointState(mapperDir: string): TrainState | undefined {
  const p = path.join(mapperDir, CHECKPOINT_DIR, 'state.json');
  return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as TrainState) : undefined;
}

export async function restoreCheckpoint(mapperDir: string, trainer: Trainer): Promise<void> {
  const dir = path.join(mapperDir, CHECKPOINT_DIR);
  const tensors = readTensorBundle(path.join(dir, 'tensors.bin'), path.join(dir, 'tensors.json'));
  const byPrefix = (prefix: string) => tensors.filter((t) => t.name.startsWith(prefix));
  for (const [net, model] of Object.entries(trainer.nets)) {
    const ws = byPrefix(`net:${net}:`).map((t) => t.tensor);
    if (ws.length !== model.getWeights().length)
      throw new Error(`${dir}: checkpoint holds ${ws.length} tensors for ${net}, the network has ${model.getWeights().length}`);
    model.setWeights(ws);
  }
  for (const [opt, optimizer] of Object.entries(trainer.optimizers)) {
    const ws = byPrefix(`opt:${opt}:`).map((t) => ({ name: t.name.split(':').slice(3).join(':'), tensor: t.tensor }));
    if (ws.length) await optimizer.setWeights(ws);
    for (const key of ADAM_POWERS) {
      const saved = tensors.find((t) => t.name === `adam:${opt}:${key}`);
      const v = (optimizer as unknown as Record<string, tf.Variable | undefined>)[key];
      if (saved && v) v.assign(saved.tensor);
    }
  }
  tf.dispose(tensors.map((t) => t.tensor));
}
