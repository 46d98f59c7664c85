// An experiment: extract every model's features, split identities, train each architecture on each
// ordered model pair, evaluate on the held-out identities, write results as JSON and markdown.
// Every stage is cached in the workspace, so a rerun (or a resumed, interrupted run) redoes nothing.
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { FeatureSet } from '../features/feature-set.js';
import { isGanArch, type Arch } from '../train/architectures.js';
import type { SpaceEval } from './evaluate.js';
import type { ArchResult, ExperimentResults, ExperimentSpec } from './results.js';
import { experimentMarkdown } from './markdown.js';
import { ensureFeatures, ensureMapper, ensureSplit, evaluateMapped, evaluateSelf, openPart, type StageHooks } from './stages.js';
import { Workspace } from './workspace.js';

export type { ArchResult, ExperimentKind, ExperimentResults, ExperimentSpec } from './results.js';

/** The mapper the report shows: R³AN if trained, else the last GAN ablation, else the last one. */
export function reportArch(archs: Arch[]): Arch {
  return archs.includes('r3an') ? 'r3an' : ([...archs].reverse().find((a) => isGanArch(a)) ?? archs[archs.length - 1]);
}

export async function runExperiment(spec: ExperimentSpec, hooks: StageHooks): Promise<ExperimentResults> {
  const ws = new Workspace(spec.out);
  const t = { extract: 0, train: 0, evaluate: 0 };
  const timed = async <T>(k: keyof typeof t, f: () => Promise<T> | T): Promise<T> => {
    const s = Date.now();
    try {
      return await f();
    } finally {
      t[k] += (Date.now() - s) / 1000;
    }
  };

  const sets: FeatureSet[] = [];
  for (const m of spec.models)
    sets.push(await timed('extract', () => ensureFeatures(ws, m, spec.data, spec.dataset, hooks, true, spec.featuresFrom)));
  const extra = (spec.trainExtra ?? []).map((d) => FeatureSet.open(d));
  const split = ensureSplit(ws, sets, spec.testFraction, spec.seed, hooks, extra);
  const count = (part: 'train' | 'test' | 'distractors') => openPart(ws, spec.models[0], part).count;
  // rows of the training part that came from the extra sets (their dataset root differs or the path is not listed)
  const extraRows = () => {
    const listed = new Set(sets[0].items.map((i) => i.path));
    return openPart(ws, spec.models[0], 'train').items.filter((i) => !listed.has(i.path)).length;
  };

  const self: Record<string, SpaceEval> = {};
  for (const m of spec.models) self[m] = await timed('evaluate', () => evaluateSelf(ws, m, spec.seed));
  const pairs: ExperimentResults['pairs'] = [];
  for (const [source, target] of spec.pairs) {
    const rows: Partial<Record<Arch, ArchResult>> = {};
    for (const arch of spec.archs) {
      const manifest = await timed('train', () => ensureMapper(ws, source, target, spec.configs[arch], spec.backend, hooks, spec.runtime));
      const ev = await timed('evaluate', () => evaluateMapped(ws, source, target, arch, spec.seed));
      const last = manifest.history.at(-1);
      rows[arch] = {
        eval: ev,
        trainSeconds: last?.seconds ?? 0,
        epochs: last?.epoch ?? 0,
        ...(manifest.metrics ? { bestEpoch: manifest.metrics.epoch } : {}),
        mapper: ws.mapper(source, target, arch),
      };
      hooks.log(
        `${source} → ${target} ${arch}: rank-1 ${(100 * ev.identification.rank1).toFixed(2)}%, verification ${(100 * ev.verification.accuracy.mean).toFixed(2)}%`,
      );
    }
    pairs.push({ source, target, rows });
  }
  const { onlyPaths, ...datasetRest } = spec.dataset;
  const results: ExperimentResults = {
    kind: spec.kind,
    createdAt: new Date().toISOString(),
    ...(spec.command ? { command: spec.command } : {}),
    data: spec.data,
    dataset: { ...datasetRest, ...(onlyPaths ? { onlyPaths: onlyPaths.size } : {}) },
    split: {
      seed: split.seed,
      testFraction: split.testFraction,
      trainIdentities: split.train.length,
      testIdentities: split.test.length,
      distractorIdentities: split.distractors.length,
      trainImages: split.trainExtra ? count('train') - extraRows() : count('train'),
      testImages: count('test'),
      distractorImages: count('distractors'),
      ...(split.trainExtra ? { trainExtra: { sets: split.trainExtra, trainRows: count('train') } } : {}),
    },
    backend: spec.backend,
    configs: Object.fromEntries(spec.archs.map((a) => [a, spec.configs[a]])),
    models: sets.map((s) => ({ id: s.model.id, dim: s.dim, images: s.count, skipped: s.manifest.skipped?.length ?? 0 })),
    self,
    pairs,
    seconds: t,
  };
  writeJsonAtomic(ws.results(spec.kind, 'json'), results);
  writeFileAtomic(ws.results(spec.kind, 'md'), experimentMarkdown(results));
  return results;
}
