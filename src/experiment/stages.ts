// The stages of an experiment, each cached in the workspace and resumable: extract → split → train → evaluate.
import { AUTO_FAMILIES, isClosedForm } from '../train/architectures.js';
import fs from 'node:fs';
import path from 'node:path';
import { extractFeatures } from '../faces/extract.js';
import { listDataset, type DatasetOptions } from '../faces/dataset.js';
import { zooEntry } from '../faces/zoo.js';
import { FeatureSet, isOriginal } from '../features/feature-set.js';
import { writeFeatureSubset, writeFeatureUnion } from '../features/subset.js';
import { gatherRows, pairRowsByPath } from '../features/rows.js';
import { splitIdentities, splitRows, type IdentitySplit, type SplitPart } from '../eval/split.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { loadMapper, MAPPER_JSON, readMapperManifest, type MapperManifest } from '../mapper/mapper.js';
import { mapRows } from '../mapper/map-rows.js';
import type { TrainConfig } from '../train/config.js';
import type { TrainerRuntime } from '../train/trainers.js';
import { trainMapper, type TrainEvents } from '../train/train-mapper.js';
import { CHECKPOINT_DIR } from '../train/checkpoint.js';
import { evaluateSpace, type SpaceEval } from './evaluate.js';
import type { Workspace } from './workspace.js';

export interface ExtractProgress {
  onStart?: (total: number, done: number) => void;
  onImage?: (outcome: 'ok' | 'skipped') => void;
  onEnd?: () => void;
}

export interface StageHooks {
  log: (msg: string) => void;
  extractProgress?: (model: string) => ExtractProgress;
  trainEvents?: (label: string, config: TrainConfig) => TrainEvents;
}

/**
 * The model's features over the dataset (with crops unless asked not to); an existing complete set is
 * reused, and so is a larger extraction of the same images among `cache` (e.g. the whole dataset, when
 * an experiment takes its first N images): its rows for the listed images are copied in.
 */
export async function ensureFeatures(
  ws: Workspace,
  model: string,
  data: string,
  dataset: DatasetOptions,
  hooks: StageHooks,
  crops = true,
  cache: string[] = [],
): Promise<FeatureSet> {
  const dir = ws.features(model);
  if (!fs.existsSync(dir)) {
    const listed = listDataset(data, dataset).map((i) => i.path);
    for (const c of cache) {
      const big = FeatureSet.open(c);
      if (big.model.id !== zooEntry(model).id) continue; // crops: pairing takes them from either side
      const want = new Set(listed);
      const rows = big.items.flatMap((it, r) => (want.has(it.path) ? [r] : []));
      const skipped = (big.manifest.skipped ?? []).filter((k) => want.has(k.path));
      if (new Set([...rows.map((r) => big.items[r].path), ...skipped.map((k) => k.path)]).size !== want.size) continue;
      writeFeatureSubset(big, rows, dir, skipped);
      hooks.log(`features ${model}: ${rows.length} rows taken from ${c}`);
      break;
    }
  }
  if (fs.existsSync(dir)) {
    const set = FeatureSet.open(dir);
    const id = zooEntry(model).id;
    if (set.model.id !== id) throw new Error(`${dir}: holds features of ${set.model.id}, not ${id}`);
    const listed = listDataset(data, dataset).map((i) => i.path);
    const have = new Set([...set.items.map((i) => i.path), ...(set.manifest.skipped ?? []).map((s) => s.path)]);
    if (listed.length !== have.size || listed.some((p) => !have.has(p))) {
      throw new Error(
        `${dir}: was extracted from another image list than ${data} with these options (${have.size} vs ${listed.length} images); use another --out`,
      );
    }
    hooks.log(`features ${model}: reusing ${dir} (${set.count} rows)`);
    return set;
  }
  hooks.log(`features ${model}: extracting ${data} → ${dir}`);
  const p = hooks.extractProgress?.(model);
  const r = await extractFeatures({
    ...dataset,
    data,
    model,
    out: dir,
    crops,
    onLog: hooks.log,
    onStart: p?.onStart,
    onImage: (_i, o) => p?.onImage?.(o),
  });
  p?.onEnd?.();
  hooks.log(`features ${model}: ${r.rows} rows, ${r.skipped.length} images skipped`);
  return FeatureSet.open(dir);
}

/**
 * The identity split over the images every model found a face in, and each model's parts as feature
 * sets. A split file made with another seed or fraction is refused rather than silently replaced.
 */
/**
 * The identity-disjoint split and each model's parts. `extra`: feature sets of more images (another
 * dataset, the rest of this one, label-free faces), matched to the models by id; their rows join the
 * training part unless their identity is a test or distractor identity or their image is already listed.
 */
export function ensureSplit(
  ws: Workspace,
  sets: FeatureSet[],
  testFraction: number,
  seed: number,
  hooks: StageHooks,
  extra: FeatureSet[] = [],
): IdentitySplit {
  const extraDirs = extra.map((e) => path.resolve(e.dir));
  const common = sets
    .map((s) => new Set(s.items.filter(isOriginal).map((i) => i.path)))
    .reduce((a, b) => new Set([...a].filter((p) => b.has(p))));
  let split: IdentitySplit;
  if (fs.existsSync(ws.splitFile)) {
    split = JSON.parse(fs.readFileSync(ws.splitFile, 'utf8')) as IdentitySplit;
    if (split.seed !== seed || split.testFraction !== testFraction) {
      throw new Error(
        `${ws.splitFile}: made with seed ${split.seed}, test fraction ${split.testFraction}; this run asks for ${seed}, ${testFraction} (use another --out)`,
      );
    }
    if (JSON.stringify(split.trainExtra ?? []) !== JSON.stringify(extraDirs)) {
      throw new Error(
        `${ws.splitFile}: made with training extras [${(split.trainExtra ?? []).join(', ')}]; this run asks for [${extraDirs.join(', ')}] (use another --out)`,
      );
    }
  } else {
    split = {
      ...splitIdentities(
        sets[0].items.filter((i) => common.has(i.path)),
        testFraction,
        seed,
      ),
      ...(extraDirs.length ? { trainExtra: extraDirs } : {}),
    };
    writeJsonAtomic(ws.splitFile, split);
  }
  hooks.log(
    `split: ${split.train.length} training, ${split.test.length} test identities, ${split.distractors.length} single-image identities as distractors`,
  );
  for (const set of sets) {
    const rows = splitRows(set.items, split);
    for (const part of ['train', 'test', 'distractors'] as const) {
      const dir = ws.part(set.model.id, part);
      if (fs.existsSync(dir)) continue;
      // the test and distractor parts hold original rows only; training may use mirrored and augmented ones
      const keep = rows[part].filter((r) => common.has(set.items[r].path) && (part === 'train' || isOriginal(set.items[r])));
      const more = part === 'train' ? extra.filter((e) => e.model.id === set.model.id) : [];
      if (!more.length) {
        writeFeatureSubset(set, keep, dir);
        continue;
      }
      const heldOut = new Set([...split.test, ...split.distractors]);
      const listed = new Set(set.items.map((i) => i.path));
      const parts = [
        { set, rows: keep },
        ...more.map((e) => ({ set: e, rows: e.items.flatMap((it, r) => (heldOut.has(it.identity) || listed.has(it.path) ? [] : [r])) })),
      ];
      const crops = writeFeatureUnion(parts, dir);
      hooks.log(
        `split ${set.model.id}: training part = ${keep.length} rows + ${parts
          .slice(1)
          .map((p) => `${p.rows.length} from ${p.set.dir}`)
          .join(' + ')} (test and distractor identities left out)${crops || !set.hasCrops ? '' : '; without crops: an extra set has none'}`,
      );
    }
  }
  return split;
}

export function openPart(ws: Workspace, model: string, part: SplitPart): FeatureSet {
  return FeatureSet.open(ws.part(model, part));
}

/** Trains (or resumes, or reuses) a mapper on the training identities. */
export async function ensureMapper(
  ws: Workspace,
  source: string,
  target: string,
  config: TrainConfig,
  backend: string,
  hooks: StageHooks,
  runtime?: TrainerRuntime,
): Promise<MapperManifest> {
  const dir = ws.mapper(source, target, config.arch);
  const label = `${source} → ${target} ${config.arch}`;
  const hasManifest = fs.existsSync(`${dir}/${MAPPER_JSON}`);
  if (hasManifest) {
    const m = readMapperManifest(dir);
    if (
      m.training.finished &&
      (isClosedForm(config.arch) ||
        (m.config.epochs === config.epochs && m.config.iters === config.iters && m.config.pretrainIters === config.pretrainIters))
    ) {
      hooks.log(`${label}: reusing ${dir}`);
      return m;
    }
  }
  const resume = fs.existsSync(`${dir}/${CHECKPOINT_DIR}/state.json`);
  hooks.log(
    `${label}: ${resume ? 'resuming' : 'training'} (${isClosedForm(config.arch) ? 'closed form' : config.iters != null ? `${config.iters} iterations` : `${config.epochs} epochs`}${config.timeMinutes ? `, ≤ ${config.timeMinutes} min` : ''})`,
  );
  const r = await trainMapper({
    source: ws.part(source, 'train'),
    target: ws.part(target, 'train'),
    out: dir,
    config,
    backend,
    resume,
    runtime,
    events: hooks.trainEvents?.(label, config),
    // auto compares this experiment's finished columns instead of training them again
    ...(config.arch === 'auto' ? { candidates: Object.fromEntries(AUTO_FAMILIES.map((a) => [a, ws.mapper(source, target, a)])) } : {}),
  });
  return r.manifest;
}

function cached<T>(file: string, key: string): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { key: string; result: T };
  return c.key === key ? c.result : undefined;
}

/** Self-model evaluation: probes and gallery from the same model. */
export async function evaluateSelf(ws: Workspace, model: string, seed: number): Promise<SpaceEval> {
  const file = ws.selfEval(model);
  const test = openPart(ws, model, 'test'),
    distractors = openPart(ws, model, 'distractors');
  const key = `${test.manifest.createdAt}|${distractors.manifest.createdAt}|${seed}`;
  const hit = cached<SpaceEval>(file, key);
  if (hit) return hit;
  const rows = test.rows();
  const result = await evaluateSpace({
    probes: rows,
    gallery: rows,
    identities: test.items.map((i) => i.identity),
    distractors: distractors.rows(),
    dim: test.dim,
    crossModel: false,
    seed,
  });
  writeJsonAtomic(file, { key, result });
  return result;
}

/** Cross-model evaluation: mapped source test features against target-space gallery and distractors. */
export async function evaluateMapped(ws: Workspace, source: string, target: string, arch: string, seed: number): Promise<SpaceEval> {
  const file = ws.crossEval(source, target, arch);
  const dir = ws.mapper(source, target, arch);
  const manifest = readMapperManifest(dir);
  const src = openPart(ws, source, 'test'),
    tgt = openPart(ws, target, 'test'),
    distractors = openPart(ws, target, 'distractors');
  const key = `${manifest.createdAt}|${src.manifest.createdAt}|${tgt.manifest.createdAt}|${distractors.manifest.createdAt}|${seed}`;
  const hit = cached<SpaceEval>(file, key);
  if (hit) return hit;
  const mapper = await loadMapper(dir);
  try {
    const rows = pairRowsByPath(src.items, tgt.items);
    const probes = mapRows(mapper.mapping, gatherRows(src.rows(), src.dim, rows.a), src.dim, tgt.dim, true);
    const result = await evaluateSpace({
      probes,
      gallery: gatherRows(tgt.rows(), tgt.dim, rows.b),
      identities: rows.b.map((r) => tgt.items[r].identity),
      distractors: distractors.rows(),
      dim: tgt.dim,
      crossModel: true,
      seed,
    });
    writeJsonAtomic(file, { key, result });
    return result;
  } finally {
    mapper.mapping.dispose();
    mapper.generator?.dispose();
  }
}
