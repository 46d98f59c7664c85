// Losses, each returned as a SUM over the samples given, so micro-batches add up to a batch mean
// once divided by the batch size (see gradient-accumulation.ts).
import * as tf from '@tensorflow/tfjs';

/**
 * The weight of a sub-step's loss term in the objective it minimises: λRec and λAdv in the G step;
 * every other term alone in its step, weight 1 (its own Adam would cancel any constant weight).
 */
export function termWeight(key: string, lambda: { rec: number; adv: number }): number {
  return key === 'rec' ? lambda.rec : key === 'adv' ? lambda.adv : 1;
}

/** Σ_i ||a_i − b_i||²: the paper's feature L2 (for unit vectors, ||a−b||² = 2 − 2·cos). */
export function featureL2Sum(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.sum(tf.squaredDifference(a, b));
}

/** Σ_i mean_pixels (I_i − Î_i)²: pixel L2, per image averaged over its 56·56·3 values. */
export function imageL2Sum(a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar {
  const perImage = a.shape[1]! * a.shape[2]! * a.shape[3]!;
  return tf.div(tf.sum(tf.squaredDifference(a, b)), perImage);
}

/** Discriminator: Σ −log D(I) − log(1 − D(G(X))) with D = sigmoid(logit). */
export function discriminatorLossSum(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.add(tf.sum(tf.softplus(tf.neg(realLogits))), tf.sum(tf.softplus(fakeLogits)));
}

/** Generator's adversarial loss, non-saturating: Σ −log D(G(X)) (see README, "Reading L_Adv"). */
export function adversarialLossSum(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.sum(tf.softplus(tf.neg(fakeLogits)));
}
