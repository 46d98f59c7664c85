// Training configuration: one source of truth for defaults, validated once.
import { DEFAULT_MLP_HIDDEN } from '../nn/mlp.js';
import { ARCHS, isArch, type Arch } from './architectures.js';

export interface TrainConfig {
  arch: Arch;
  epochs: number;
  /** when set, train this many iterations (mini-batches) instead of `epochs` (rounded up to whole epochs) */
  iters?: number;
  /** when set, stop at the end of the first epoch that ends after this many minutes of training */
  timeMinutes?: number;
  /**
   * label-free pre-training: this many iterations of the D, G (Rec, Adv) and E (Rep) steps alone,
   * without the joint regression step, before the schedule proper (none needs identities)
   */
  pretrainIters?: number;
  batchSize: number;
  /** largest micro-batch that goes through the networks at once; gradients are accumulated over the batch */
  microBatch: number;
  seed: number;
  /**
   * Adam learning rates: discriminator, generator, extractor, MLP. The joint regression step updates G
   * at G's rate and betas and E at E's (two parameter groups), as the paper's training slide gives
   * each network its own rate.
   */
  lr: { d: number; g: number; e: number; fc: number };
  /**
   * Weights of the G step's two terms (λRec·LRec + λAdv·LAdv). The Rep and Reg steps each minimise one
   * term with their own Adam, which is invariant to a constant loss scale, so they take no weight.
   */
  lambda: { rec: number; adv: number };
  /** fraction of identities (or items, when identities are unknown) held out for validation */
  valFraction: number;
  /** ridge strength, or 'auto': the value of RIDGE_GRID with the best validation */
  ridgeLambda: number | 'auto';
  mlpHidden: number[];
  /** output gain μ + g·(Ŷ − μ) (see nn/output-gain.ts), or 'auto': the value of GAIN_GRID with the best validation */
  gain: number | 'auto';
  /** also checkpoint mid-epoch after this many minutes */
  checkpointMinutes: number;
}

export const DEFAULT_CONFIG: Omit<TrainConfig, 'arch'> = {
  epochs: 20,
  batchSize: 64,
  microBatch: 32,
  seed: 1,
  lr: { d: 2e-4, g: 2e-4, e: 1e-3, fc: 1e-3 },
  lambda: { rec: 1, adv: 0.01 },
  valFraction: 0.1,
  ridgeLambda: 'auto',
  mlpHidden: [...DEFAULT_MLP_HIDDEN],
  gain: 'auto',
  checkpointMinutes: 10,
};

/** The ridge strengths `ridgeLambda: 'auto'` tries (λ is scaled by n, see linear.ts). */
export const RIDGE_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1] as const;

export function makeConfig(arch: string, overrides: Partial<Omit<TrainConfig, 'arch'>> = {}): TrainConfig {
  if (!isArch(arch)) throw new Error(`unknown architecture "${arch}" (choose one of ${ARCHS.join(', ')})`);
  const c: TrainConfig = {
    ...DEFAULT_CONFIG,
    ...overrides,
    arch,
    lr: { ...DEFAULT_CONFIG.lr, ...overrides.lr },
    lambda: { ...DEFAULT_CONFIG.lambda, ...overrides.lambda },
  };
  const positiveInt = (k: 'epochs' | 'batchSize' | 'microBatch') => {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`${k} must be a positive integer, got ${c[k]}`);
  };
  positiveInt('epochs');
  positiveInt('batchSize');
  positiveInt('microBatch');
  if (c.iters != null && !(Number.isInteger(c.iters) && c.iters >= 1)) throw new Error(`iters must be a positive integer, got ${c.iters}`);
  if (c.pretrainIters != null && !(Number.isInteger(c.pretrainIters) && c.pretrainIters >= 0))
    throw new Error(`pretrain must be a whole number ≥ 0, got ${c.pretrainIters}`);
  if (c.timeMinutes != null && !(c.timeMinutes > 0 && Number.isFinite(c.timeMinutes)))
    throw new Error(`time must be a positive number of minutes, got ${c.timeMinutes}`);
  for (const [k, v] of [
    ...Object.entries(c.lr).map(([k, v]) => [`lr.${k}`, v] as const),
    ...Object.entries(c.lambda).map(([k, v]) => [`lambda.${k}`, v] as const),
  ]) {
    if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${k} must be a finite number ≥ 0, got ${v}`);
  }
  if (!(c.valFraction >= 0 && c.valFraction < 1)) throw new Error(`valFraction must be in [0, 1), got ${c.valFraction}`);
  if (c.gain !== 'auto' && !(Number.isFinite(c.gain) && c.gain > 0))
    throw new Error(`gain must be a positive number or auto, got ${c.gain}`);
  if (!Number.isInteger(c.seed)) throw new Error(`seed must be an integer, got ${c.seed}`);
  return c;
}
