// One place that picks and prepares the TF.js backend: tfjs-node when it is installed (optional,
// never required), else wasm (SIMD, threads in Node, r3an's kernels), or the pure-JS `cpu` reference.
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import path from 'node:path';
import { enableWasmThreadsInNode, wasmPackageDir } from './wasm-threads.js';
import { installWasmKernels } from './wasm-kernels.js';

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendOptions {
  backend?: BackendName;
  /** wasm threads; 0 or 1 = single-threaded. Threads keep the process alive until process.exit(). */
  threads?: number;
  /** replace slow wasm kernels with r3an's fast compositions (default true) */
  fastKernels?: boolean;
}

export interface BackendInfo {
  name: string;
  threads: number;
  fastKernels: boolean;
}

let current: BackendInfo | undefined;

async function tryTensorflow(): Promise<boolean> {
  try {
    // Optional dependency: the string is hidden from bundlers and the type checker on purpose.
    const mod = 'tfjs-node';
    await import(`@tensorflow/${mod}`);
    return tf.findBackend('tensorflow') != null && (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const want = opts.backend ?? 'auto';
  const fastKernels = opts.fastKernels ?? true;
  if (current && (want === 'auto' || want === current.name) && (current.name !== 'wasm' || current.fastKernels === fastKernels))
    return current;
  if ((want === 'auto' || want === 'tensorflow') && (await tryTensorflow())) {
    current = { name: 'tensorflow', threads: os.cpus().length, fastKernels: false };
    return current;
  }
  if (want === 'tensorflow') throw new Error('backend "tensorflow" requested but @tensorflow/tfjs-node is not installed');
  if (want === 'cpu') {
    await tf.setBackend('cpu');
    await tf.ready();
    current = { name: 'cpu', threads: 1, fastKernels: false };
    return current;
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const threads = opts.threads ?? 1;
  if (!tf.findBackend('wasm') || tf.getBackend() !== 'wasm') {
    if (threads > 1) {
      enableWasmThreadsInNode();
      wasm.setThreadsCount(threads);
    }
    wasm.setWasmPaths(path.join(wasmPackageDir(), 'dist') + path.sep);
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('could not initialise the TF.js wasm backend');
  await tf.ready();
  installWasmKernels({ fast: fastKernels });
  current = { name: 'wasm', threads: wasm.getThreadsCount(), fastKernels };
  return current;
}

/** Default thread count for long-running CLI jobs: all cores. */
export function defaultThreads(): number {
  return Math.max(1, os.cpus().length);
}
