// Output gain: the mapped feature's deviation from the target training mean, amplified,
// Ŷ' = μ + g·(Ŷ − μ). Face features share a large common direction, and an L2 regression shrinks its
// predictions toward it (regression to the mean). A mapped probe then carries much of μ, and its raw
// cosine with a gallery feature y rewards how typical y is (μ·y) as much as whom it shows: typical
// gallery features become hubs that outrank the true mate. A gain > 1 takes that share out while the
// identity part keeps its direction (centred cosine is unchanged by it). g is chosen on validation
// identification with distractors (see validation.ts); g = 1 is the mapping as trained.
import * as tf from '@tensorflow/tfjs';

/** The gains validation chooses from (1 = none). */
export const GAIN_GRID = [1, 1.5, 2, 3, 5, 10] as const;

/** μ + g·(y − μ) on rows, into a new array. */
export function applyGainRows(y: Float32Array, mean: Float32Array, gain: number): Float32Array {
  const d = mean.length,
    out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const m = mean[i % d];
    out[i] = m + gain * (y[i] - m);
  }
  return out;
}

/**
 * `mapping` followed by the gain as one frozen inference-mode batch-norm layer (g·y + (1 − g)·μ), so
 * `map`, the ONNX export and the browser apply it identically. Gain 1 returns `mapping` itself.
 */
export function withOutputGain(mapping: tf.LayersModel, mean: Float32Array, gain: number): tf.LayersModel {
  if (gain === 1) return mapping;
  const d = mean.length;
  const input = tf.input({ shape: mapping.inputs[0].shape.slice(1) as number[], name: 'source_feature' });
  const layer = tf.layers.batchNormalization({ epsilon: 1e-12, trainable: false, name: 'output_gain' });
  const out = layer.apply(mapping.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
  // TF.js order: gamma, beta, moving mean, moving variance (√(var + ε) = 1)
  const ws = [tf.fill([d], gain), tf.tensor1d(Float32Array.from(mean, (m) => (1 - gain) * m)), tf.zeros([d]), tf.fill([d], 1 - 1e-12)];
  layer.setWeights(ws as tf.Tensor[]);
  tf.dispose(ws);
  return tf.model({ inputs: input, outputs: out, name: mapping.name });
}
