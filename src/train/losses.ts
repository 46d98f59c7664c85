// The schedule's loss parts (schedule.ts) in TF.js, each a SUM over the samples given, so micro-batches
// add up to a batch mean once divided by the batch size (see gradient-accumulation.ts). The onnxruntime
// graphs emit the same parts with onnx/ops.ts (sumSoftplus, sumSquaredDifference).
import * as tf from '@tensorflow/tfjs';
import { FACE_SIZE } from '../core/face-size.js';
import type { LossPart, Value } from './schedule.js';

/** Σ_i ||a_i − b_i||²: the paper's feature L2 (for unit vectors, ||a−b||² = 2 − 2·cos). */
export function featureL2Sum(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.sum(tf.squaredDifference(a, b));
}

/** One loss part's sum, with `value` evaluating the part's operands. */
export function lossPartSum(part: LossPart, value: (v: Value) => tf.Tensor): tf.Scalar {
  if (part.op === 'softplus') {
    const z = value(part.of);
    return tf.sum(tf.softplus(part.sign === 1 ? z : tf.neg(z)));
  }
  const sum = tf.sum(tf.squaredDifference(value(part.a), value(part.b))) as tf.Scalar;
  // per image: averaged over its 56·56·3 pixel values
  return part.perImage ? tf.div(sum, 3 * FACE_SIZE * FACE_SIZE) : sum;
}
