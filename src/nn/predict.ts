// A layers model applied to row-major rows in batches: the one place TF.js inference meets flat arrays.
import * as tf from '@tensorflow/tfjs';

export function predictRows(model: tf.LayersModel, x: Float32Array, inDim: number, batch = 256): Float32Array {
  const n = x.length / inDim;
  const outDim = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
  const out = new Float32Array(n * outDim);
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const y = tf.tidy(() => model.predict(tf.tensor2d(x.subarray(s * inDim, e * inDim), [e - s, inDim])) as tf.Tensor);
    out.set(y.dataSync(), s * outDim);
    y.dispose();
  }
  return out;
}
