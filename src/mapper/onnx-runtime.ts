// `map` on onnxruntime-node where it is installed (an optional dependency with prebuilt CPU binaries,
// no build step): the mapping is exported to ONNX in memory and run there; without it, TF.js runs it.
import type * as tf from '@tensorflow/tfjs';
import { l2NormalizeRows } from '../eval/similarity.js';
import { mapRowsUnchecked } from './map-rows.js';
import { mappingToOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../onnx/export.js';
import { chooseRuntime, sessionOptions, type Runtime } from '../backend/onnxruntime.js';

/** Runs a mapping over rows of source features. */
export interface MappingRunner {
  readonly runtime: 'onnxruntime' | 'tfjs';
  run(x: Float32Array, ds: number, dt: number, normalize: boolean): Promise<Float32Array>;
  dispose(): Promise<void>;
}

function tfjsRunner(mapping: tf.LayersModel): MappingRunner {
  return {
    runtime: 'tfjs',
    async run(x, ds, dt, normalize) {
      return mapRowsUnchecked(mapping, x, ds, dt, normalize);
    },
    async dispose() {},
  };
}

/** The fastest runner available (`auto`), or the one asked for; `onnx` fails clearly when it is missing. */
export async function createMappingRunner(mapping: tf.LayersModel, runtime: Runtime = 'auto', threads = 0): Promise<MappingRunner> {
  const o = await chooseRuntime(runtime);
  if (!o) return tfjsRunner(mapping);
  const session = await o.InferenceSession.create(mappingToOnnx(mapping), sessionOptions(threads));
  return {
    runtime: 'onnxruntime',
    async run(x, ds, dt, normalize) {
      const n = x.length / ds;
      const out = await session.run({ [ONNX_INPUT]: new o.Tensor('float32', x, [n, ds]) });
      const y = out[ONNX_OUTPUT].data as Float32Array;
      if (y.length !== n * dt) throw new Error(`onnxruntime returned ${y.length} values for ${n}×${dt}`);
      return normalize ? l2NormalizeRows(y, dt) : Float32Array.from(y);
    },
    async dispose() {
      await session.release();
    },
  };
}
