// The paper's FC baseline: an MLP X → Y trained with the L2 loss alone (Table 3, first row).
import * as tf from '@tensorflow/tfjs';
import { glorot, type SeedStream } from './init.js';

export const DEFAULT_MLP_HIDDEN = [1024, 1024] as const;

export function buildMlp(sourceDim: number, targetDim: number, hidden: readonly number[], seeds: SeedStream): tf.Sequential {
  const m = tf.sequential({ name: 'mlp' });
  hidden.forEach((units, i) => {
    m.add(tf.layers.dense({ ...(i === 0 ? { inputShape: [sourceDim] } : {}), units, kernelInitializer: glorot(seeds), name: `fc${i + 1}` }));
    m.add(tf.layers.reLU({ name: `fc${i + 1}_relu` }));
  });
  m.add(tf.layers.dense({ ...(hidden.length === 0 ? { inputShape: [sourceDim] } : {}), units: targetDim, kernelInitializer: glorot(seeds), name: 'fc_out' }));
  return m;
}
