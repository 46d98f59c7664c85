// Seeded weight initialisers: TF.js layers default to Math.random, which would make `--seed` meaningless.
import * as tf from '@tensorflow/tfjs';

export interface SeedStream {
  next(): number;
}

/** A deterministic stream of initialiser seeds derived from one integer seed. */
export function seedStream(seed: number): SeedStream {
  let i = 0;
  return { next: () => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + 0x27d4eb2f * ++i) >>> 0 };
}

export const glorot = (s: SeedStream) => tf.initializers.glorotUniform({ seed: s.next() });
export const heNormal = (s: SeedStream) => tf.initializers.heNormal({ seed: s.next() });
/** N(0, std²): DCGAN's 0.02 for G and D, torchvision MobileNetV2's 0.01 for E's output layer. */
export const normal = (s: SeedStream, stddev: number) => tf.initializers.randomNormal({ mean: 0, stddev, seed: s.next() });

/** Batch-norm moving-average momentum: 0.9 (PyTorch's 0.1) so inference statistics track short CPU runs. */
export const BN_MOMENTUM = 0.9;
