// Rows mapped in memory through a mapping model, L2-normalised as the target model's own features are.
import * as tf from '@tensorflow/tfjs';
import { FeatureSetError } from '../features/feature-set.js';
import { l2NormalizeRows } from '../eval/similarity.js';
import { predictRows } from '../nn/predict.js';

/** Maps rows in memory: mapped rows are L2-normalised, as the target model's own features are. */
export function mapRows(
  mapping: tf.LayersModel,
  x: Float32Array,
  ds: number,
  dt: number,
  normalize: boolean,
  what = 'the mapping',
): Float32Array {
  const y = mapRowsUnchecked(mapping, x, ds, dt, normalize);
  if (!y.every(Number.isFinite)) throw new FeatureSetError(`${what} produced non-finite values (a diverged mapper?)`);
  return y;
}

/** mapRows without the finiteness check, for callers that check (and name the mapper) themselves. */
export function mapRowsUnchecked(mapping: tf.LayersModel, x: Float32Array, ds: number, dt: number, normalize: boolean): Float32Array {
  const y = predictRows(mapping, x, ds);
  return normalize ? l2NormalizeRows(y, dt) : y;
}
