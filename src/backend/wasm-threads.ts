// Turns on the multi-threaded SIMD build of @tensorflow/tfjs-backend-wasm in Node.js, which TF.js
// disables there. Three obstacles, three patches:
//  1. tfjs sets WASM_HAS_MULTITHREAD_SUPPORT=false under Node → set it true.
//  2. emscripten starts pthread workers from blob: URLs, which node:worker_threads rejects → hand it
//     a real file whose first line points the worker at the glue script on disk.
//  3. the C++ side caps threads at logical cores / 2 → report the cores twice.
// The pthread workers keep the event loop alive: a program that enables threads must call process.exit().
import { processAlive } from '../core/paths.js';
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let enabled = false;

export function wasmPackageDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

const WORKER_PREFIX = 'r3an-wasm-';

/**
 * Worker directories of r3an processes that were killed (SIGKILL leaves no chance to clean up): ours
 * by owner, plain directories (never links), named with a pid that no longer runs.
 */
function removeStaleWorkerDirs(): void {
  const tmp = os.tmpdir();
  let names: string[] = [];
  try {
    names = fs.readdirSync(tmp).filter((n) => n.startsWith(WORKER_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(WORKER_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (processAlive(pid)) continue;
    const dir = path.join(tmp, name);
    try {
      const st = fs.lstatSync(dir);
      if (st.isDirectory() && (typeof process.getuid !== 'function' || st.uid === process.getuid()))
        fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

/** Must run before tf.setBackend('wasm'). Idempotent. */
export function enableWasmThreadsInNode(): void {
  if (enabled) return;
  enabled = true;
  const realCpus = os.cpus.bind(os);
  (os as { cpus: () => os.CpuInfo[] }).cpus = () => {
    const c = realCpus();
    return [...c, ...c];
  };
  const glue = path.join(wasmPackageDir(), 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const workerSource: string = require(
    path.join(wasmPackageDir(), 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js'),
  ).wasmWorkerContents.replace(/\n/g, '\\n');
  // a private directory (mkdtemp: unpredictable name, mode 0700) and an exclusive create: a name planted
  // in the shared temp directory can neither be written through nor executed as worker code
  removeStaleWorkerDirs();
  const workerDir = fs.mkdtempSync(path.join(os.tmpdir(), `${WORKER_PREFIX}${process.pid}-`));
  const workerFile = path.join(workerDir, 'worker.cjs');
  fs.writeFileSync(workerFile, `URL.createObjectURL = () => ${JSON.stringify(glue)};\n${workerSource}`, { flag: 'wx', mode: 0o600 });
  const realCreate = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob: Blob) => (blob && /javascript/.test(blob.type) ? workerFile : realCreate(blob));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const cleanUp = () => {
    try {
      fs.rmSync(workerDir, { recursive: true, force: true });
    } catch {
      /* already gone */
    }
  };
  process.on('exit', cleanUp);
  // removed on SIGINT/SIGTERM too; the exit code says which signal ended the run
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      cleanUp();
      process.exit(128 + os.constants.signals[sig]);
    });
}
