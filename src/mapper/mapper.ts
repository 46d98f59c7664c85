// A mapper on disk: mapper.json (architecture, source/target lineage, config, metrics) plus TF.js
// layers models loadable in a browser: mapping/ (X → Y) and, for the R³AN family, generator/ (X → face).
import { isWithin } from '../core/paths.js';
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic, stageDir } from '../io/atomic.js';
import { loadLayersModelFromDir, saveLayersModel } from '../io/model-files.js';
import type { ModelLineage } from '../features/feature-set.js';
import type { TrainConfig } from '../train/config.js';
import type { Arch } from '../train/architectures.js';
import type { EpochRecord } from '../train/checkpoint.js';
import type { ValidationMetrics } from '../train/validation.js';

export const MAPPER_FORMAT = 'r3an.mapper';
export const MAPPER_VERSION = 1;
export const MAPPER_JSON = 'mapper.json';
export const MAPPING_DIR = 'mapping';
export const GENERATOR_DIR = 'generator';

export interface MapperManifest {
  format: typeof MAPPER_FORMAT;
  version: number;
  arch: Arch;
  source: ModelLineage;
  target: ModelLineage;
  config: TrainConfig;
  /** validation metrics of the exported weights, and the epoch they come from */
  metrics?: { epoch: number; val: ValidationMetrics };
  history: EpochRecord[];
  /** when several candidates were compared (ridge's λ grid, --arch auto): each one's validation and the one kept */
  selection?: { by: string; chosen: string; candidates: { label: string; val?: ValidationMetrics; seconds?: number }[] };
  training: { pairs: number; trainItems: number; valItems: number; backend: string; finished: boolean };
  files: { mapping: string; generator?: string };
  createdAt: string;
}

export class MapperError extends Error {}

/** Writes the exported models (atomically, as one directory each) and then the manifest. */
export async function exportMapper(
  dir: string,
  manifest: Omit<MapperManifest, 'format' | 'version' | 'files' | 'createdAt'>,
  models: { mapping: tf.LayersModel; generator?: tf.LayersModel },
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, model] of [
    [MAPPING_DIR, models.mapping],
    [GENERATOR_DIR, models.generator],
  ] as const) {
    if (!model) continue;
    const stage = stageDir(path.join(dir, name));
    try {
      await saveLayersModel(model, stage.dir);
    } catch (e) {
      stage.abort();
      throw e;
    }
    stage.commit();
  }
  writeMapperManifest(dir, {
    ...manifest,
    format: MAPPER_FORMAT,
    version: MAPPER_VERSION,
    files: { mapping: `${MAPPING_DIR}/model.json`, ...(models.generator ? { generator: `${GENERATOR_DIR}/model.json` } : {}) },
    createdAt: new Date().toISOString(),
  });
}

export function writeMapperManifest(dir: string, m: MapperManifest): void {
  writeJsonAtomic(path.join(dir, MAPPER_JSON), m);
}

export function readMapperManifest(dir: string): MapperManifest {
  const p = path.join(dir, MAPPER_JSON);
  if (!fs.existsSync(p)) throw new MapperError(`${dir}: not a mapper (no ${MAPPER_JSON}; has training finished its first epoch?)`);
  let m: MapperManifest;
  try {
    m = JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch (e) {
    throw new MapperError(`${p}: invalid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
  if (m.format !== MAPPER_FORMAT) throw new MapperError(`${p}: format is ${JSON.stringify(m.format)}, expected "${MAPPER_FORMAT}"`);
  if (m.version !== MAPPER_VERSION) throw new MapperError(`${p}: version ${m.version} is not supported`);
  const lineage = (l: unknown) =>
    l != null &&
    typeof l === 'object' &&
    typeof (l as ModelLineage).id === 'string' &&
    Number.isInteger((l as ModelLineage).dim) &&
    (l as ModelLineage).dim > 0;
  if (!lineage(m.source)) throw new MapperError(`${p}: "source" must be a model lineage with id and dim`);
  if (!lineage(m.target)) throw new MapperError(`${p}: "target" must be a model lineage with id and dim`);
  if (typeof m.arch !== 'string') throw new MapperError(`${p}: "arch" is missing`);
  if (m.training == null || typeof m.training !== 'object') throw new MapperError(`${p}: "training" is missing`);
  if (!Array.isArray(m.history)) throw new MapperError(`${p}: "history" must be a list`);
  if (m.files == null || typeof m.files !== 'object') throw new MapperError(`${p}: "files" is missing`);
  return m;
}

const warned = new Set<string>();
function warnOnce(msg: string): void {
  if (!warned.has(msg)) {
    warned.add(msg);
    console.error(msg);
  }
}

export interface LoadedMapper {
  dir: string;
  manifest: MapperManifest;
  mapping: tf.LayersModel;
  generator?: tf.LayersModel;
}

/** A file the manifest names, resolved inside the mapper directory; anything pointing outside is refused. */
function mapperFile(dir: string, rel: unknown, what: string): string {
  if (typeof rel !== 'string' || rel === '') throw new MapperError(`${path.join(dir, MAPPER_JSON)}: files.${what} is missing`);
  const root = path.resolve(dir),
    p = path.resolve(root, rel);
  if (!isWithin(p, root))
    throw new MapperError(`${path.join(dir, MAPPER_JSON)}: files.${what} (${rel}) points outside the mapper directory`);
  if (!fs.existsSync(p)) throw new MapperError(`${p}: missing (named by ${MAPPER_JSON} as files.${what})`);
  return p;
}

async function loadModelFile(file: string): Promise<tf.LayersModel> {
  try {
    return await loadLayersModelFromDir(path.dirname(file));
  } catch (e) {
    // a TypeError from inside TF.js means the JSON parsed but is not a layers model
    throw new MapperError(
      e instanceof TypeError
        ? `${file}: not a valid TF.js layers model (its topology is malformed)`
        : `${file}: cannot be loaded (${(e as Error).message.split('\n')[0]})`,
    );
  }
}

export async function loadMapper(dir: string, { withGenerator = false } = {}): Promise<LoadedMapper> {
  const manifest = readMapperManifest(dir);
  if (!manifest.files || typeof manifest.files !== 'object') throw new MapperError(`${path.join(dir, MAPPER_JSON)}: "files" is missing`);
  const mapping = await loadModelFile(mapperFile(dir, manifest.files.mapping, 'mapping'));
  const inDim = mapping.inputs[0].shape[1],
    outDim = mapping.outputs[0].shape[1];
  if (inDim !== manifest.source.dim || outDim !== manifest.target.dim) {
    throw new MapperError(
      `${dir}: mapping model is ${inDim}→${outDim} but ${MAPPER_JSON} says ${manifest.source.dim}→${manifest.target.dim}`,
    );
  }
  const generator =
    withGenerator && manifest.files.generator ? await loadModelFile(mapperFile(dir, manifest.files.generator, 'generator')) : undefined;
  if (!manifest.training?.finished)
    warnOnce(`warning: ${dir} is an unfinished training run (the best epoch so far is used; finish it with r3an train --resume)`);
  return { dir, manifest, mapping, generator };
}
