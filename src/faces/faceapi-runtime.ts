// @vladmandic/face-api in Node on the wasm backend: its node-wasm bundle shares our TF.js engine and
// loads its weights from the package's own model/ folder.
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// face-api's public surface as used here (the package ships its own typings for the browser build).
export interface FaceApi {
  nets: Record<'ssdMobilenetv1' | 'faceLandmark68Net' | 'faceRecognitionNet', { loadFromDisk(dir: string): Promise<void> }>;
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

let loaded: FaceApi | undefined;

export async function loadFaceApi(): Promise<FaceApi> {
  if (loaded) return loaded;
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const dir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(dir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
  loaded = faceapi;
  return faceapi;
}
