// Discriminator D: a 3×56×56 face → one logit (P(real) = sigmoid(logit)).
// Sizes from the paper: 4×28×28 → 8×14×14 → 16×7×7 → 32×4×4 → 64×2×2 → 128×1×1 → FC 1.
import * as tf from '@tensorflow/tfjs';
import { FACE_SIZE } from '../core/face-size.js';
import { normal, type SeedStream } from './init.js';

/** [filters, kernel] per stride-2 'same' convolution; 56→28→14→7→4→2→1. */
export const DISCRIMINATOR_LAYERS: ReadonlyArray<readonly [number, number]> = [
  [4, 4],
  [8, 4],
  [16, 4],
  [32, 3],
  [64, 3],
  [128, 3],
];

export function buildDiscriminator(seeds: SeedStream): tf.Sequential {
  const d = tf.sequential({ name: 'discriminator' });
  DISCRIMINATOR_LAYERS.forEach(([filters, kernelSize], i) => {
    d.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [FACE_SIZE, FACE_SIZE, 3] } : {}),
        filters,
        kernelSize,
        strides: 2,
        padding: 'same',
        kernelInitializer: normal(seeds, 0.02),
        name: `d_conv${i + 1}`,
      }),
    );
    d.add(tf.layers.leakyReLU({ alpha: 0.2, name: `d_lrelu${i + 1}` }));
  });
  d.add(tf.layers.flatten({ name: 'd_flatten' }));
  d.add(tf.layers.dense({ units: 1, kernelInitializer: normal(seeds, 0.02), name: 'd_fc' }));
  return d;
}
