// Generator G: a source feature X (N, ds) → a 3×56×56 face in [-1, 1] (NHWC [N,56,56,3]).
// Sizes from the paper's architecture table: 512×4×4 → 128×7×7 → 32×14×14 → 8×28×28 → 3×56×56.
import * as tf from '@tensorflow/tfjs';
import { BN_MOMENTUM, normal, type SeedStream } from './init.js';

/** [filters, kernel, stride, padding] per transposed convolution; 1→4→7→14→28→56. */
export const GENERATOR_LAYERS: ReadonlyArray<readonly [number, number, number, 'valid' | 'same']> = [
  [512, 4, 1, 'valid'], // 1 → 4
  [128, 4, 1, 'valid'], // 4 → 7
  [32, 4, 2, 'same'], // 7 → 14 (TF 'same' with k4 s2 = PyTorch padding 1)
  [8, 4, 2, 'same'], // 14 → 28
  [3, 4, 2, 'same'], // 28 → 56
];

export function buildGenerator(sourceDim: number, seeds: SeedStream): tf.Sequential {
  const g = tf.sequential({ name: 'generator' });
  g.add(tf.layers.reshape({ inputShape: [sourceDim], targetShape: [1, 1, sourceDim], name: 'g_to_map' }));
  GENERATOR_LAYERS.forEach(([filters, kernelSize, strides, padding], i) => {
    const last = i === GENERATOR_LAYERS.length - 1;
    g.add(
      tf.layers.conv2dTranspose({
        filters,
        kernelSize,
        strides,
        padding,
        useBias: last,
        kernelInitializer: normal(seeds, 0.02),
        name: `g_fconv${i + 1}`,
      }),
    );
    if (!last) {
      g.add(tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: `g_bn${i + 1}` }));
      g.add(tf.layers.reLU({ name: `g_relu${i + 1}` }));
    }
  });
  g.add(tf.layers.activation({ activation: 'tanh', name: 'g_tanh' }));
  return g;
}
