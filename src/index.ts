// r3an as a library: map stored face descriptors from an old model's space into a new model's, train
// such mappings, and evaluate them. Importing this module changes nothing global: the TF.js backend
// (and the wasm threading it may patch Node for) is set up only by an explicit useBackend() call or
// by the functions that need a backend, and face models load only inside createEmbedder().
import path from 'node:path';
import { loadMapper as loadMapperDir } from './mapper/mapper.js';
import { loadMapperFromUrl, portableMapper, type Mapper } from './mapper/portable-mapper.js';
import { initBackend, type BackendOptions } from './backend/backend.js';
import { FeatureSet } from './features/feature-set.js';
import { makeConfig, type TrainConfig } from './train/config.js';
import { trainMapper as runTraining, type TrainResult } from './train/train-mapper.js';
import { mapFeatureSet as mapSet } from './mapper/map-gallery.js';
import { createMappingRunner } from './mapper/onnx-runtime.js';
import type { RgbImage } from './faces/image.js';
import type { FaceEmbedding } from './faces/embedder.js';
import type { ModelLineage } from './features/feature-set.js';

export type { Mapper, MapperInfo } from './mapper/portable-mapper.js';
export { MapperLoadError } from './mapper/portable-mapper.js';
export {
  FeatureSet,
  FeatureSetStreamWriter,
  writeFeatureSet,
  FeatureSetError,
  type FeatureItem,
  type ModelLineage,
  type NewFeatureSet,
} from './features/feature-set.js';
export { closedSetIdentification, identificationWithDistractors, type IdentificationResult } from './eval/identification.js';
export { scorePairs, kFoldAccuracy, tarAtFar, roc, samplePairs } from './eval/verification.js';
export type { TrainConfig } from './train/config.js';
export type { Arch } from './train/architectures.js';
export type { BackendOptions } from './backend/backend.js';

/** Chooses and starts the TF.js backend (wasm by default, with threads in Node when asked). */
export async function useBackend(opts: BackendOptions = {}): Promise<void> {
  await initBackend(opts);
}

/** A mapper from a directory written by `r3an train` (Node) or from its URL (http://, https://). */
export async function loadMapper(dirOrUrl: string): Promise<Mapper> {
  if (/^https?:\/\//i.test(dirOrUrl)) return loadMapperFromUrl(dirOrUrl);
  const m = await loadMapperDir(dirOrUrl);
  return portableMapper({ ...m.manifest, files: { mapping: path.relative(m.dir, path.join(m.dir, m.manifest.files.mapping)) } }, m.mapping);
}

/** The feature set in `dir` (validated; rows are read on demand). */
export function readFeatureSet(dir: string): FeatureSet {
  return FeatureSet.open(dir);
}

/** Maps a whole stored gallery into the mapper's target space, written atomically to `outDir`. */
export async function mapFeatureSet(
  mapperDir: string,
  inDir: string,
  outDir: string,
  opts: { runtime?: 'auto' | 'onnx' | 'tfjs'; threads?: number } = {},
): Promise<void> {
  await initBackend();
  const mapper = await loadMapperDir(mapperDir);
  const runner = await createMappingRunner(mapper.mapping, opts.runtime ?? 'auto', opts.threads);
  try {
    await mapSet(mapper, runner, FeatureSet.open(inDir), outDir);
  } finally {
    await runner.dispose();
    mapper.mapping.dispose();
  }
}

export interface Embedder {
  readonly lineage: ModelLineage;
  embed(image: string | RgbImage): Promise<FaceEmbedding | null>;
}

/** A zoo model (`r3an models` lists them) or your own model's spec file, ready to embed images. */
export async function createEmbedder(model: string): Promise<Embedder> {
  await initBackend();
  const { zooEntry } = await import('./faces/zoo.js');
  const { decodeRgb } = await import('./faces/image.js');
  const e = await zooEntry(model).create();
  return { lineage: e.lineage, embed: async (image) => e.embed(typeof image === 'string' ? await decodeRgb(image) : image) };
}

export interface TrainProgress {
  epoch: number;
  iterations?: number;
  losses: Record<string, number>;
  val?: { top1?: number; cosine: number };
}

/** Trains a mapper from `source` to `target` feature sets (paired by image path) into `out`. */
export async function trainMapper(
  source: string,
  target: string,
  out: string,
  config: Partial<TrainConfig> & { arch?: string } = {},
  opts: { onProgress?: (p: TrainProgress) => void; resume?: boolean } = {},
): Promise<TrainResult> {
  const backend = await initBackend();
  const { arch = 'r3an', ...rest } = config;
  return runTraining({
    source,
    target,
    out,
    config: makeConfig(arch, rest),
    backend: backend.name,
    resume: opts.resume,
    events: {
      onEpochEnd: (r) =>
        opts.onProgress?.({
          epoch: r.epoch,
          ...(r.iterations != null ? { iterations: r.iterations } : {}),
          losses: r.losses,
          ...(r.val ? { val: r.val } : {}),
        }),
    },
  });
}
