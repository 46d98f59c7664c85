// @vladmandic/face-api in Node on the wasm backend: its node-wasm bundle shares our TF.js engine and
// loads its weights from the package's own model/ folder. Where onnxruntime is chosen its detector and
// recognition network run there (faceapi-onnx.ts), in an instance of its own so that a TF.js one stays
// as it is.
import path from 'node:path';
import { createRequire } from 'node:module';

import type { Ort } from '../backend/onnxruntime.js';
import { detectorOnOnnx, recognitionOnOnnx, type RecognitionNet, type SsdNet } from './faceapi-onnx.js';
import { runsOn } from './onnx-graph-executor.js';

const require = createRequire(import.meta.url);

// face-api's public surface as used here (the package ships its own typings for the browser build).
export interface FaceApi {
  nets: Record<'faceLandmark68Net', { loadFromDisk(dir: string): Promise<void> }> & {
    ssdMobilenetv1: SsdNet & { loadFromDisk(dir: string): Promise<void> };
    faceRecognitionNet: RecognitionNet & { loadFromDisk(dir: string): Promise<void> };
  };
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown;
  detectAllFaces(
    input: unknown,
    options: unknown,
  ): { withFaceLandmarks(): PromiseLike<unknown[]> & { withFaceDescriptors(): Promise<FaceApiResult[]> } };
  version: string;
}
export interface FaceApiResult {
  detection: { score: number; box: { x: number; y: number; width: number; height: number } };
  alignedRect: { box: { x: number; y: number; width: number; height: number } };
  descriptor: Float32Array;
}

let shared: FaceApi | undefined;

/** face-api with its three networks loaded; `onnx`: a fresh instance whose detector runs on onnxruntime. */
export async function loadFaceApi(onnx?: { ort: Ort; threads?: number }): Promise<{ faceapi: FaceApi; networks: Record<string, string> }> {
  const onTfjs = { ssdMobilenetv1: 'TF.js', faceRecognitionNet: 'TF.js' };
  if (!onnx && shared) return { faceapi: shared, networks: onTfjs };
  const bundle = require.resolve('@vladmandic/face-api/dist/face-api.node-wasm.js');
  if (onnx) delete require.cache[bundle];
  const faceapi = require(bundle) as FaceApi;
  if (onnx) delete require.cache[bundle]; // the next plain load gets the shared, untouched instance
  const dir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(dir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
  if (!onnx) {
    shared = faceapi;
    return { faceapi, networks: onTfjs };
  }
  return {
    faceapi,
    networks: {
      ssdMobilenetv1: runsOn(detectorOnOnnx(faceapi.nets.ssdMobilenetv1, onnx.ort, onnx.threads)),
      faceRecognitionNet: runsOn(recognitionOnOnnx(faceapi.nets.faceRecognitionNet, onnx.ort, onnx.threads)),
    },
  };
}
