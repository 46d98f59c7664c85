// What every face model in r3an provides: an embedder (image → L2-normalised feature + aligned crop)
// and a zoo entry describing it (dimension, input, preprocessing, where it comes from).
import * as tf from '@tensorflow/tfjs';
import { tidyValues } from '../core/tidy-values.js';
import type { ModelLineage } from '../features/feature-set.js';
import { FACE_SIZE } from '../core/face-size.js';
import type { RgbImage } from './image.js';
import type { Runtime } from '../backend/onnxruntime.js';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FaceEmbedding {
  embedding: Float32Array;
  /** 56×56×3 RGB crop of the face as this model's pipeline aligned it */
  crop: Uint8Array;
  /** faces found in the image (the largest, most central one was used) */
  faces: number;
}

export interface Embedder {
  readonly lineage: ModelLineage;
  /** null when no face is found */
  embed(img: RgbImage): Promise<FaceEmbedding | null>;
  /**
   * Only the detection stage of embed (detector and landmarks), returning the number of faces found;
   * absent where there is none (pre-aligned crops). For timing detection apart from embedding.
   */
  detect?(img: RgbImage): Promise<number>;
}

export interface ZooEntry {
  id: string;
  dim: number;
  inputSize: number;
  package: string;
  description: string;
  preprocessing: Record<string, unknown>;
  /**
   * images/s on one core of the 2-core development CPU (`npm run bench:extract`, the other core busy),
   * with every network on TF.js wasm and with the networks r3an can move on onnxruntime; for up-front
   * time estimates
   */
  typicalImagesPerSecond: { tfjs: number; onnxruntime?: number };
  /** the authors' own LFW verification accuracy (%), where one is published */
  published?: { lfw: number; source: string };
  /** a known defect, printed whenever the model is used */
  caveat?: string;
  create(opts?: EmbedderOptions): Promise<Embedder>;
}

export interface EmbedderOptions {
  /** where the networks r3an runs itself go: onnxruntime where installed (auto), or TF.js */
  runtime?: Runtime;
  /** onnxruntime threads (default 1: the zoo's networks see one face at a time; more threads were slower) */
  threads?: number;
}

/** Index of the face to use: the largest, weighted towards the image centre. */
export function pickFace(boxes: Box[], width: number, height: number): number {
  let best = -1,
    bestScore = -Infinity;
  boxes.forEach((b, i) => {
    const cx = b.x + b.width / 2,
      cy = b.y + b.height / 2;
    const off = Math.hypot((cx - width / 2) / width, (cy - height / 2) / height);
    const s = b.width * b.height * (1 - Math.min(0.9, off));
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  });
  return best;
}

export function l2(v: ArrayLike<number>): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return Float32Array.from(v, (x) => x * inv);
}

/** 56×56 uint8 crop of a region of an RGB image (bilinear). */
export function cropRegion(img: RgbImage, box: Box): Uint8Array {
  const crop = tidyValues(() => {
    const t = tf.tensor4d(img.data, [1, img.height, img.width, 3], 'int32').toFloat();
    const b = [[box.y / img.height, box.x / img.width, (box.y + box.height) / img.height, (box.x + box.width) / img.width]];
    return tf.image.cropAndResize(t, b, [0], [FACE_SIZE, FACE_SIZE]).clipByValue(0, 255).round();
  });
  return Uint8Array.from(crop);
}
