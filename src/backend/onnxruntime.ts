// onnxruntime-node, the optional fast path for `map` and training (an optional dependency with
// prebuilt CPU binaries, no build step). Every caller picks it the same way: `auto` uses it when it
// loads, `onnx` insists on it, `tfjs` never uses it.
export type Ort = typeof import('onnxruntime-node');

export type Runtime = 'auto' | 'onnx' | 'tfjs';
export const RUNTIMES: readonly Runtime[] = ['auto', 'onnx', 'tfjs'];

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let ort: Ort | null | undefined;

/**
 * The options of every r3an session: CPU, all graph optimisations, `threads` intra-op threads (0:
 * onnxruntime's default). A pool's threads stop spinning when a run returns: a process holds several
 * sessions (training one per sub-step), and the threads one had left spinning took the cores from the
 * next one's run (training iterations 6–8% faster, measured in docs/performance.md).
 */
export function sessionOptions(threads: number): import('onnxruntime-node').InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    extra: { session: { force_spinning_stop: '1' } },
  };
}

/**
 * onnxruntime's bundled telemetry layer leaves an empty `mat-debug-<pid>.log` in the temp directory
 * of every process that loads it; ours is removed at exit when it is still empty (and only then).
 */
function removeTelemetryLogAtExit(): void {
  const file = path.join(os.tmpdir(), `mat-debug-${process.pid}.log`);
  process.on('exit', () => {
    try {
      if (fs.statSync(file).size === 0) fs.unlinkSync(file);
    } catch {
      /* none */
    }
  });
}

/** onnxruntime-node, or null when it is not installed (or cannot load on this platform). */
export async function loadOnnxRuntime(): Promise<Ort | null> {
  if (ort !== undefined) return ort;
  try {
    ort = await import('onnxruntime-node');
    removeTelemetryLogAtExit();
  } catch {
    ort = null;
  }
  return ort;
}

/** The onnxruntime module for `runtime`, or null for TF.js; `onnx` fails clearly when it is missing. */
export async function chooseRuntime(runtime: Runtime, flag = '--runtime'): Promise<Ort | null> {
  if (runtime === 'tfjs') return null;
  const o = await loadOnnxRuntime();
  if (!o && runtime === 'onnx')
    throw new Error(
      `${flag} onnx: onnxruntime-node is not installed (npm install onnxruntime-node; set ONNXRUNTIME_NODE_INSTALL=skip if its install script tries to download GPU libraries)`,
    );
  return o;
}
