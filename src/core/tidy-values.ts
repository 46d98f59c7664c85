// tf.tidy looks for tensors to keep in whatever its callback returns, walking arrays, objects and typed
// arrays element by element: a typed array of 150k values returned from tidy costs ≈ 100 ms (measured
// in extraction, where face crops and resized faces came back that way). So the tensors are computed
// in tidy and their values read after it.
import * as tf from '@tensorflow/tfjs';

type Values = Float32Array | Int32Array | Uint8Array;

/** The values of the tensor(s) `fn` computes in tf.tidy, read after it; the tensors are disposed. */
export function tidyValues(fn: () => tf.Tensor): Float32Array;
export function tidyValues(fn: () => tf.Tensor[]): Values[];
export function tidyValues(fn: () => tf.Tensor | tf.Tensor[]): Values | Values[] {
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  try {
    const values = list.map((t) => t.dataSync() as Values);
    return Array.isArray(out) ? values : values[0];
  } finally {
    for (const t of list) t.dispose();
  }
}
