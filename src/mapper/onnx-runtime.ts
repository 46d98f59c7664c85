// `map` on onnxruntime-node where it is installed (an optional dependency with prebuilt CPU binaries,
// no build step): the mapping is exported to ONNX in memory and run there; without it, TF.js runs it.
import type * as tf from '@tensorflow/tfjs';
import { l2NormalizeRows } from '../eval/similarity.js';
import { mapRows } from './map-gallery.js';
import { mappingToOnnx, ONNX_INPUT, ONNX_OUTPUT } from './onnx-export.js';

type Ort = typeof import('onnxruntime-node');

let ort: Ort | null | undefined;

/** onnxruntime-node, or null when it is not installed (or cannot load on this platform). */
export async function loadOnnxRuntime(): Promise<Ort | null> {
  if (ort !== undefined) return ort;
  try { ort = await import('onnxruntime-node'); } catch { ort = null; }
  return ort;
}

export type MapRuntime = 'auto' | 'onnx' | 'tfjs';
export const MAP_RUNTIMES: readonly MapRuntime[] = ['auto', 'onnx', 'tfjs'];

/** Runs a mapping over rows of source features. */
export interface MappingRunner {
  readonly runtime: 'onnxruntime' | 'tfjs';
  run(x: Float32Array, ds: number, dt: number, normalize: boolean): Promise<Float32Array>;
  dispose(): Promise<void>;
}

function tfjsRunner(mapping: tf.LayersModel): MappingRunner {
  return {
    runtime: 'tfjs',
    async run(x, ds, dt, normalize) { return mapRows(mapping, x, ds, dt, normalize); },
    async dispose() {},
  };
}

/** The fastest runner available (`auto`), or the one asked for; `onnx` fails clearly when it is missing. */
export async function createMappingRunner(mapping: tf.LayersModel, runtime: MapRuntime = 'auto', threads = 0): Promise<MappingRunner> {
  if (runtime === 'tfjs') return tfjsRunner(mapping);
  const o = await loadOnnxRuntime();
  if (!o) {
    if (runtime === 'onnx') throw new Error('--runtime onnx: onnxruntime-node is not installed (npm install onnxruntime-node; set ONNXRUNTIME_NODE_INSTALL=skip if its install script tries to download GPU libraries)');
    return tfjsRunner(mapping);
  }
  const session = await o.InferenceSession.create(mappingToOnnx(mapping), {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
  });
  return {
    runtime: 'onnxruntime',
    async run(x, ds, dt, normalize) {
      const n = x.length / ds;
      const out = await session.run({ [ONNX_INPUT]: new o.Tensor('float32', x, [n, ds]) });
      const y = out[ONNX_OUTPUT].data as Float32Array;
      if (y.length !== n * dt) throw new Error(`onnxruntime returned ${y.length} values for ${n}×${dt}`);
      return normalize ? l2NormalizeRows(y, dt) : Float32Array.from(y);
    },
    async dispose() { await session.release(); },
  };
}
