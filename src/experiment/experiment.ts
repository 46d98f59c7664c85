// An experiment: extract every model's features, split identities, train each architecture on each
// ordered model pair, evaluate on the held-out identities, write results as JSON and markdown.
// Every stage is cached in the workspace, so a rerun (or a resumed, interrupted run) redoes nothing.
import type { DatasetOptions } from '../faces/dataset.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import type { TrainConfig } from '../train/config.js';
import type { TrainerRuntime } from '../train/trainers.js';
import { isGanArch, type Arch } from '../train/presets.js';
import { writeReport } from '../report/report.js';
import type { SpaceEval } from './evaluate.js';
import { experimentMarkdown } from './markdown.js';
import { ensureFeatures, ensureMapper, ensureSplit, evaluateMapped, evaluateSelf, openPart, type StageHooks } from './stages.js';
import { Workspace } from './workspace.js';

export type ExperimentKind = 'table5' | 'table3' | 'demo';

export interface ExperimentSpec {
  kind: ExperimentKind;
  data: string;
  out: string;
  models: string[];
  pairs: [string, string][];
  archs: Arch[];
  dataset: DatasetOptions;
  testFraction: number;
  seed: number;
  configs: Record<string, TrainConfig>;
  backend: string;
  /** onnxruntime for training steps, where chosen */
  runtime?: TrainerRuntime;
  /** the command line, recorded with the results */
  command?: string;
  /** write the HTML report for the first pair (default true) */
  report?: boolean;
  /** larger extractions of the same dataset whose rows are reused (see ensureFeatures) */
  featuresFrom?: string[];
}

/** The mapper the report shows: R³AN if trained, else the last GAN ablation, else the last one. */
export function reportArch(archs: Arch[]): Arch {
  return archs.includes('r3an') ? 'r3an' : [...archs].reverse().find((a) => isGanArch(a)) ?? archs[archs.length - 1];
}

export interface ArchResult { eval: SpaceEval; trainSeconds: number; epochs: number; bestEpoch?: number; mapper: string }

export interface ExperimentResults {
  kind: ExperimentKind;
  createdAt: string;
  command?: string;
  data: string;
  dataset: Omit<DatasetOptions, 'onlyPaths'> & { onlyPaths?: number };
  split: { seed: number; testFraction: number; trainIdentities: number; testIdentities: number; distractorIdentities: number; trainImages: number; testImages: number; distractorImages: number };
  backend: string;
  configs: Record<string, TrainConfig>;
  models: { id: string; dim: number; images: number; skipped: number }[];
  self: Record<string, SpaceEval>;
  pairs: { source: string; target: string; rows: Partial<Record<Arch, ArchResult>> }[];
  /** wall-clock seconds of this invocation's stages (cached stages cost ~0) */
  seconds: { extract: number; train: number; evaluate: number };
}

export async function runExperiment(spec: ExperimentSpec, hooks: StageHooks): Promise<ExperimentResults> {
  const ws = new Workspace(spec.out);
  const t = { extract: 0, train: 0, evaluate: 0 };
  const timed = async <T>(k: keyof typeof t, f: () => Promise<T> | T): Promise<T> => { const s = Date.now(); try { return await f(); } finally { t[k] += (Date.now() - s) / 1000; } };

  const sets = [];
  for (const m of spec.models) sets.push(await timed('extract', () => ensureFeatures(ws, m, spec.data, spec.dataset, hooks, true, spec.featuresFrom)));
  const split = ensureSplit(ws, sets, spec.testFraction, spec.seed, hooks);
  const count = (part: 'train' | 'test' | 'distractors') => openPart(ws, spec.models[0], part).count;

  const self: Record<string, SpaceEval> = {};
  for (const m of spec.models) self[m] = await timed('evaluate', () => evaluateSelf(ws, m, spec.seed));
  const pairs: ExperimentResults['pairs'] = [];
  for (const [source, target] of spec.pairs) {
    const rows: Partial<Record<Arch, ArchResult>> = {};
    for (const arch of spec.archs) {
      const manifest = await timed('train', () => ensureMapper(ws, source, target, spec.configs[arch], spec.backend, hooks, spec.runtime));
      const ev = await timed('evaluate', () => evaluateMapped(ws, source, target, arch, spec.seed));
      const last = manifest.history.at(-1);
      rows[arch] = { eval: ev, trainSeconds: last?.seconds ?? 0, epochs: last?.epoch ?? 0, ...(manifest.metrics ? { bestEpoch: manifest.metrics.epoch } : {}), mapper: ws.mapper(source, target, arch) };
      hooks.log(`${source} → ${target} ${arch}: rank-1 ${(100 * ev.identification.rank1).toFixed(2)}%, verification ${(100 * ev.verification.accuracy.mean).toFixed(2)}%`);
    }
    pairs.push({ source, target, rows });
  }
  const { onlyPaths, ...datasetRest } = spec.dataset;
  const results: ExperimentResults = {
    kind: spec.kind, createdAt: new Date().toISOString(), ...(spec.command ? { command: spec.command } : {}), data: spec.data,
    dataset: { ...datasetRest, ...(onlyPaths ? { onlyPaths: onlyPaths.size } : {}) },
    split: {
      seed: split.seed, testFraction: split.testFraction, trainIdentities: split.train.length, testIdentities: split.test.length, distractorIdentities: split.distractors.length,
      trainImages: count('train'), testImages: count('test'), distractorImages: count('distractors'),
    },
    backend: spec.backend,
    configs: Object.fromEntries(spec.archs.map((a) => [a, spec.configs[a]])),
    models: sets.map((s) => ({ id: s.model.id, dim: s.dim, images: s.count, skipped: s.manifest.skipped?.length ?? 0 })),
    self, pairs, seconds: t,
  };
  writeJsonAtomic(ws.results(spec.kind, 'json'), results);
  writeFileAtomic(ws.results(spec.kind, 'md'), experimentMarkdown(results));
  if (spec.report !== false) {
    const [source, target] = spec.pairs[0];
    const arch = reportArch(spec.archs);
    const report = await writeReport({
      mapperDir: ws.mapper(source, target, arch), source: openPart(ws, source, 'test'), target: openPart(ws, target, 'test'),
      distractors: openPart(ws, target, 'distractors'), results, out: ws.report(spec.kind), seed: spec.seed, log: hooks.log,
    });
    hooks.log(`report: ${report.index}`);
  }
  return results;
}
