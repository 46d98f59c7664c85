// The paper's FC baseline: an MLP X → Y trained with the L2 loss alone (Table 3, first row):
// Dense → BatchNorm → ReLU per hidden layer, on standardised features (see standardise.ts).
import * as tf from '@tensorflow/tfjs';
import { BN_MOMENTUM, glorot, type SeedStream } from './init.js';

export const DEFAULT_MLP_HIDDEN = [1024, 1024] as const;

export function buildMlp(sourceDim: number, targetDim: number, hidden: readonly number[], seeds: SeedStream): tf.Sequential {
  const m = tf.sequential({ name: 'mlp' });
  hidden.forEach((units, i) => {
    m.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [sourceDim] } : {}),
        units,
        useBias: false,
        kernelInitializer: glorot(seeds),
        name: `fc${i + 1}`,
      }),
    );
    m.add(tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: `fc${i + 1}_bn` }));
    m.add(tf.layers.reLU({ name: `fc${i + 1}_relu` }));
  });
  m.add(
    tf.layers.dense({
      ...(hidden.length === 0 ? { inputShape: [sourceDim] } : {}),
      units: targetDim,
      kernelInitializer: glorot(seeds),
      name: 'fc_out',
    }),
  );
  return m;
}
