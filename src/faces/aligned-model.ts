// Face models that r3an aligns and runs itself: any TF.js model that takes a square face crop and
// returns an embedding. Human's detector + mesh give five landmarks; the face is warped onto the
// ArcFace template (or, for datasets of pre-aligned crops, the whole image is used); pixels are
// scaled and ordered as the model's authors trained it.
import * as tf from '@tensorflow/tfjs';
import { tidyValues } from '../core/tidy-values.js';
import type { ModelLineage } from '../features/feature-set.js';
import { loadTfjsModelFile } from '../io/model-files.js';
import { FACE_SIZE } from '../core/face-size.js';
import { alignArcFace, fivePointsFromMesh } from './alignment.js';
import { l2, pickFace, type Embedder, type EmbedderOptions, type ZooEntry } from './embedder.js';
import { countHumanFaces, createHuman, humanDetect, runHumanOnOnnx } from './human-runtime.js';
import { chooseRuntime } from '../backend/onnxruntime.js';
import { executeOnOnnx, runsOn, type ExecutableGraph } from './onnx-graph-executor.js';
import type { RgbImage } from './image.js';

export const PIXEL_SCALINGS = ['0..255', '-1..1', '0..1'] as const;
export type PixelScaling = (typeof PIXEL_SCALINGS)[number];
export const ALIGNMENTS = ['arcface', 'none'] as const;
export type Alignment = (typeof ALIGNMENTS)[number];

export interface AlignedModelSpec {
  id: string;
  /** the TF.js model.json (graph or layers model) */
  modelFile: string;
  dim: number;
  inputSize: number;
  /** what the model expects: 0..255, (x − 127.5) / 127.5, or x / 255 */
  pixels: PixelScaling;
  colour: 'RGB' | 'BGR';
  /** arcface: five-point alignment from Human's face mesh; none: the image is already an aligned face crop */
  alignment: Alignment;
}

function scalePixels(t: tf.Tensor, pixels: PixelScaling): tf.Tensor {
  if (pixels === '-1..1') return t.sub(127.5).div(127.5);
  if (pixels === '0..1') return t.div(255);
  return t;
}

/** A whole image (already an aligned face) resized to size×size, float 0..255. */
function resizeWhole(img: RgbImage, size: number): Float32Array {
  return tidyValues(() => tf.image.resizeBilinear(tf.tensor3d(img.data, [img.height, img.width, 3], 'int32').toFloat(), [size, size]));
}

export async function createAlignedEmbedder(spec: AlignedModelSpec, lineage: ModelLineage, opts: EmbedderOptions = {}): Promise<Embedder> {
  const model = await loadTfjsModelFile(spec.modelFile);
  const human = spec.alignment === 'arcface' ? await createHuman(null) : undefined;
  // Human's detector and mesh, and the model itself when it is a graph model, on onnxruntime where chosen
  const ort = await chooseRuntime(opts.runtime ?? 'auto');
  if (ort) {
    const networks = human ? await runHumanOnOnnx(human, ort, opts.threads) : {};
    if (model.graph) {
      const why = await executeOnOnnx(model.graph as unknown as ExecutableGraph, ort, { file: spec.modelFile, threads: opts.threads });
      networks.model = runsOn(why);
    }
    lineage = { ...lineage, preprocessing: { ...lineage.preprocessing, networks } };
  }
  const run = (face: Float32Array): Float32Array => {
    const out = tf.tidy(() => {
      let t = tf.tensor4d(face, [1, spec.inputSize, spec.inputSize, 3]);
      if (spec.colour === 'BGR') t = tf.reverse(t, -1);
      return model.predict(scalePixels(t, spec.pixels)).flatten();
    });
    try {
      const v = out.dataSync() as Float32Array;
      if (v.length !== spec.dim)
        throw new Error(`${spec.modelFile}: returned a ${v.length}-d output, ${spec.id} is declared ${spec.dim}-d`);
      if (!v.every(Number.isFinite)) throw new Error(`${spec.modelFile}: returned non-finite values`);
      // (an all-zero output, e.g. for a blank probe input, stays zero: l2 leaves it as is)
      return l2(v);
    } finally {
      out.dispose();
    }
  };
  // refuse a model whose output does not match its declared dimension before any image is read
  run(new Float32Array(spec.inputSize * spec.inputSize * 3));
  const toCrop = (face: Float32Array) => Uint8Array.from(face, (x) => Math.max(0, Math.min(255, Math.round(x))));
  return {
    lineage,
    async embed(img) {
      if (!human) {
        return { embedding: run(resizeWhole(img, spec.inputSize)), crop: toCrop(resizeWhole(img, FACE_SIZE)), faces: 1 };
      }
      const res = await humanDetect(human, img);
      try {
        const faces = res.face.filter((f) => f.mesh && f.mesh.length >= 468);
        if (faces.length === 0) return null;
        const f =
          faces[
            pickFace(
              faces.map((x) => ({ x: x.box[0], y: x.box[1], width: x.box[2], height: x.box[3] })),
              img.width,
              img.height,
            )
          ];
        const points = fivePointsFromMesh(f.mesh!);
        return {
          embedding: run(alignArcFace(img, points, spec.inputSize)),
          crop: toCrop(alignArcFace(img, points, FACE_SIZE)),
          faces: faces.length,
        };
      } finally {
        for (const f of res.face) f.tensor?.dispose();
      }
    },
    ...(human ? { detect: (img: RgbImage) => countHumanFaces(human, img) } : {}),
  };
}

/** Preprocessing as recorded in every feature set's lineage. */
export function alignedPreprocessing(spec: AlignedModelSpec): Record<string, unknown> {
  return {
    detector: spec.alignment === 'arcface' ? 'Human blazeface + facemesh (@vladmandic/human)' : 'none (images are aligned face crops)',
    alignment:
      spec.alignment === 'arcface'
        ? 'five-point similarity transform onto the ArcFace 112×112 template (eye centres, nose tip, mouth corners from the mesh)'
        : 'none',
    input: `${spec.inputSize}×${spec.inputSize} ${spec.colour} in ${spec.pixels}`,
    colour: spec.colour,
    pixels: spec.pixels,
    output: 'L2-normalised',
  };
}

/** lineageExtra is computed only when an embedder is created (e.g. hashing the model's weight files). */
export function alignedModelEntry(
  spec: AlignedModelSpec,
  meta: Pick<ZooEntry, 'package' | 'description' | 'typicalImagesPerSecond' | 'published' | 'caveat'> & {
    lineageExtra?: () => Record<string, unknown>;
  },
): ZooEntry {
  const preprocessing = alignedPreprocessing(spec);
  const { lineageExtra, ...rest } = meta;
  return {
    id: spec.id,
    dim: spec.dim,
    inputSize: spec.inputSize,
    preprocessing,
    ...rest,
    create: (opts) =>
      createAlignedEmbedder(
        spec,
        {
          id: spec.id,
          dim: spec.dim,
          normalization: 'l2',
          preprocessing: { ...preprocessing, ...lineageExtra?.() },
        },
        opts,
      ),
  };
}
