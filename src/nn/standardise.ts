// Feature standardisation for the learned mappings: per-dimension training mean and std of X and Y.
// Face features share a large common direction (FaceRes: cos(feature, mean feature) ≈ 0.6), so an
// L2 loss on raw Y is dominated by the mean and networks learn to predict it; standardised, every
// dimension's identity signal counts. The statistics live inside the exported model as two frozen
// inference-mode batch-norm layers, so `map`, the ONNX export and the browser apply them identically.
import * as tf from '@tensorflow/tfjs';

export interface FeatureStats {
  mean: Float32Array;
  std: Float32Array;
}

/** A std below this fraction of the median std is floored to it: constant dimensions must not blow up. */
const STD_FLOOR = 1e-3;
/** The batch-norm epsilon of the frozen layers; their variance is set so that √(var + ε) = σ exactly. */
const EPS = 1e-12;

export function featureStats(x: Float32Array, n: number, d: number): FeatureStats {
  if (n < 2) throw new Error(`feature statistics need at least 2 rows, got ${n}`);
  const mean = new Float64Array(d),
    sq = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const c = x[i * d + j] - mean[j];
      sq[j] += c * c;
    }
  const std = Float32Array.from(sq, (s) => Math.sqrt(s / (n - 1)));
  const median = [...std].sort((a, b) => a - b)[Math.floor(d / 2)];
  const floor = Math.max(median * STD_FLOOR, 1e-8);
  for (let j = 0; j < d; j++) if (!(std[j] >= floor)) std[j] = floor;
  return { mean: Float32Array.from(mean), std };
}

/** (x − μ) / σ row by row, into a new array. */
export function standardiseRows(x: Float32Array, s: FeatureStats): Float32Array {
  const d = s.mean.length,
    out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % d;
    out[i] = (x[i] - s.mean[j]) / s.std[j];
  }
  return out;
}

/**
 * Applies a frozen batch-norm layer computing (x − μ)/σ ('in') or x·σ + μ ('out') in inference mode.
 * Only ever run through predict (training: false); its weights are not trainable.
 */
export function applyStandardisation(input: tf.SymbolicTensor, s: FeatureStats, direction: 'in' | 'out', name: string): tf.SymbolicTensor {
  const d = s.mean.length;
  const layer = tf.layers.batchNormalization({ epsilon: EPS, trainable: false, name });
  // built by apply (inside the model's name scope, so its weights save under the layer's name)
  const out = layer.apply(input) as tf.SymbolicTensor;
  const ones = new Float32Array(d).fill(1),
    zeros = new Float32Array(d);
  const variance = direction === 'in' ? Float32Array.from(s.std, (v) => v * v - EPS) : Float32Array.from(ones, (v) => v - EPS);
  // layer weights in TF.js order: gamma, beta, moving mean, moving variance
  const [gamma, beta, mean] = direction === 'in' ? [ones, zeros, s.mean] : [s.std, s.mean, zeros];
  const ws = [tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor1d(mean), tf.tensor1d(variance)];
  layer.setWeights(ws);
  tf.dispose(ws);
  return out;
}

/** The stats a standardisation layer holds, read back (for checks and tests). */
export function statsOfLayer(layer: tf.layers.Layer, direction: 'in' | 'out'): FeatureStats {
  const [gamma, beta, mean, variance] = layer.getWeights().map((w) => w.dataSync() as Float32Array);
  return direction === 'in'
    ? { mean: Float32Array.from(mean), std: Float32Array.from(variance, (v) => Math.sqrt(v + EPS)) }
    : { mean: Float32Array.from(beta), std: Float32Array.from(gamma) };
}
