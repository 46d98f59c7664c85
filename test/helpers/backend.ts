// Tests run on the wasm backend single-threaded (pthread workers would keep the test process alive).
import type { TestContext } from 'node:test';
import { initBackend } from '../../src/backend/backend.js';
import { loadOnnxRuntime, type Ort } from '../../src/backend/onnxruntime.js';

export const useWasm = (fastKernels = true) => initBackend({ backend: 'wasm', threads: 1, fastKernels });

/** onnxruntime-node, or null with the test marked skipped where it is not installed (`why`: the skip's reason). */
export async function onnxRuntimeOrSkip(t: TestContext, why = 'onnxruntime-node is not installed'): Promise<Ort | null> {
  const ort = await loadOnnxRuntime();
  if (!ort) t.skip(why);
  return ort;
}
