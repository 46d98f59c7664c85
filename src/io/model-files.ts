// TF.js models on disk without tfjs-node: the standard model.json + weights.bin layout, which
// tf.loadLayersModel / tf.loadGraphModel read in a browser too.
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import path from 'node:path';
import { concatArrays } from '../core/concat.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  return concatArrays(
    data.map((b) => new Uint8Array(b)),
    (n) => new Uint8Array(n),
  );
}

/** Saves a layers model as dir/model.json + dir/weights.bin. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = concatBuffers(artifacts.weightData ?? new ArrayBuffer(0));
      fs.writeFileSync(path.join(dir, WEIGHTS_BIN), weights);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs }],
      };
      fs.writeFileSync(path.join(dir, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
}

/** An IOHandler that reads model.json and its weight shards from the local file system. */
export function fileHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      if (!fs.existsSync(modelJsonPath)) throw new Error(`${modelJsonPath}: model file not found`);
      const j = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
      const dir = path.dirname(modelJsonPath);
      const specs: tf.io.WeightsManifestEntry[] = [];
      const bufs: Buffer[] = [];
      for (const group of j.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(bufs);
      return {
        modelTopology: j.modelTopology,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer,
        format: j.format,
        generatedBy: j.generatedBy,
        convertedBy: j.convertedBy,
        signature: j.signature,
        userDefinedMetadata: j.userDefinedMetadata,
        modelInitializer: j.modelInitializer,
      };
    },
  };
}

export function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileHandler(path.join(dir, MODEL_JSON)));
}

/** Any TF.js model.json on disk: graph models (converted from TF/ONNX) and layers models (Keras). */
export async function loadTfjsModelFile(
  modelJsonPath: string,
): Promise<{ predict(x: tf.Tensor): tf.Tensor; format: string; graph?: tf.GraphModel }> {
  if (!fs.existsSync(modelJsonPath)) throw new Error(`${modelJsonPath}: model file not found`);
  let format: string;
  try {
    format = (JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as { format?: string }).format ?? 'layers-model';
  } catch (e) {
    throw new Error(`${modelJsonPath}: not a TF.js model.json (${(e as Error).message})`);
  }
  const first = (o: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor =>
    o instanceof tf.Tensor ? o : Array.isArray(o) ? o[0] : Object.values(o)[0];
  if (format === 'graph-model') {
    const m = await tf.loadGraphModel(fileHandler(modelJsonPath));
    return { format, graph: m, predict: (x) => first(m.execute(x)) };
  }
  const m = await tf.loadLayersModel(fileHandler(modelJsonPath));
  return { format, predict: (x) => first(m.predict(x) as tf.Tensor | tf.Tensor[]) };
}
