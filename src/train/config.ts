// Training configuration: one source of truth for defaults, validated once.
import { DEFAULT_MLP_HIDDEN } from '../nn/mlp.js';
import { ARCHS, isArch, type Arch } from './presets.js';

export interface TrainConfig {
  arch: Arch;
  epochs: number;
  batchSize: number;
  /** largest micro-batch that goes through the networks at once; gradients are accumulated over the batch */
  microBatch: number;
  seed: number;
  /** Adam learning rates: discriminator, generator (Rec/Adv), extractor (Rep), joint regression, MLP */
  lr: { d: number; g: number; e: number; reg: number; fc: number };
  lambda: { rec: number; adv: number; rep: number; reg: number };
  /** fraction of identities (or items, when identities are unknown) held out for validation */
  valFraction: number;
  ridgeLambda: number;
  mlpHidden: number[];
  /** also checkpoint mid-epoch after this many minutes */
  checkpointMinutes: number;
}

export const DEFAULT_CONFIG: Omit<TrainConfig, 'arch'> = {
  epochs: 20,
  batchSize: 64,
  microBatch: 32,
  seed: 1,
  lr: { d: 2e-4, g: 2e-4, e: 1e-3, reg: 1e-3, fc: 1e-3 },
  lambda: { rec: 1, adv: 0.01, rep: 1, reg: 1 },
  valFraction: 0.1,
  ridgeLambda: 1e-3,
  mlpHidden: [...DEFAULT_MLP_HIDDEN],
  checkpointMinutes: 10,
};

export function makeConfig(arch: string, overrides: Partial<Omit<TrainConfig, 'arch'>> = {}): TrainConfig {
  if (!isArch(arch)) throw new Error(`unknown architecture "${arch}" (choose one of ${ARCHS.join(', ')})`);
  const c: TrainConfig = {
    ...DEFAULT_CONFIG, ...overrides, arch,
    lr: { ...DEFAULT_CONFIG.lr, ...overrides.lr },
    lambda: { ...DEFAULT_CONFIG.lambda, ...overrides.lambda },
  };
  const positiveInt = (k: 'epochs' | 'batchSize' | 'microBatch') => {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`${k} must be a positive integer, got ${c[k]}`);
  };
  positiveInt('epochs'); positiveInt('batchSize'); positiveInt('microBatch');
  if (!(c.valFraction >= 0 && c.valFraction < 1)) throw new Error(`valFraction must be in [0, 1), got ${c.valFraction}`);
  if (!Number.isInteger(c.seed)) throw new Error(`seed must be an integer, got ${c.seed}`);
  return c;
}
