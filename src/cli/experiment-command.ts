// `r3an experiment table5|table3`: the paper's experiments on a user's dataset and zoo models.
import { writeExperimentReport } from '../report/experiment-report.js';
import { durationMinutes } from './train-command.js';
import { ZOO, zooEntry } from '../faces/zoo.js';
import { runExperiment, type ExperimentKind, type ExperimentResults, type ExperimentSpec } from '../experiment/experiment.js';
import type { StageHooks } from '../experiment/stages.js';
import { findPairsFile, runTable2 } from '../experiment/table2.js';
import { makeConfig, DEFAULT_CONFIG, type TrainConfig } from '../train/config.js';
import { ARCHITECTURES, ARCHS, isArch, isBudgeted, TABLE3_ROWS, type Arch } from '../train/architectures.js';
import { BACKEND_HELP, BACKEND_OPTIONS, intOption, numberOption, parse, required, UsageError } from './args.js';
import { backendFromArgs, describeBackend } from './backend-options.js';
import { DATASET_HELP, DATASET_OPTIONS, datasetFromArgs } from './dataset-options.js';
import { consoleExtractProgress } from './extract-progress.js';
import { consoleTrainEvents } from './train-progress.js';

export const DEFAULT_TABLE5_ARCHS: Arch[] = ['linear', 'fc', 'r3an'];
export const DEFAULT_TEST_FRACTION = 0.3;
export const DEFAULT_FC_EPOCHS = 20;

export const EXPERIMENT_HELP = `r3an experiment — the paper's experiments on your data (cached, resumable)

Usage:
  r3an experiment table2 --data DIR --models all|A,B,… --out OUT [--pairs FILE] [--pairs-only]
  r3an experiment table5 --data DIR --models A,B[,C…] --out DIR [options]
  r3an experiment table3 --data DIR --source A --target B --out DIR [options]

table2: each model's own quality: LFW 10-fold verification on the official pairs file (--pairs,
        default pairs.txt in or beside DIR) and closed-set identification rank-1, beside the
        authors' published LFW figure. Extracts every image of DIR (--pairs-only: just the images
        the pairs file names; LFW: 7,701 of 13,233). One feature set per model in OUT/features/.
table5: for every ordered pair of models, Src→Src and Tgt→Tgt identification, then each mapper's
        Src→Tgt (default mappers: ${DEFAULT_TABLE5_ARCHS.join(', ')}).
table3: every row of the paper's Table 3 (${TABLE3_ROWS.join(', ')}) on one model pair.

  --data DIR         images laid out one folder per identity (e.g. ../shared/data/lfw/lfw-deepfunneled)
  --models A,B,…     zoo models (${Object.keys(ZOO).join(', ')}), or model spec files
  --source/--target  the pair for table3
  --out DIR          experiment directory: features, split, mappers, evaluations, results, report
  --archs LIST       mappers to train (default table5: ${DEFAULT_TABLE5_ARCHS.join(',')}; table3: ${TABLE3_ROWS.join(',')})
  --test-fraction X  share of the identities with ≥ 2 images held out for testing (default ${DEFAULT_TEST_FRACTION})
  --seed N           split and training seed (default ${DEFAULT_CONFIG.seed})
  --epochs N         epochs for R³AN and its ablations (default ${DEFAULT_CONFIG.epochs})
  --iters N          iterations for R³AN and its ablations instead of epochs (rounded up to whole epochs)
  --time M           and at most about M minutes of training each (45, 45m, 2h)
  --pretrain N       N iterations of label-free pre-training first (R³AN family, see r3an train --help)
  --fc-epochs N      epochs for the FC baseline (default ${DEFAULT_FC_EPOCHS})
  --features-from FS[,FS…]   feature sets already extracted from the same dataset (e.g. all of it):
                     the rows of the images this experiment lists are taken from them, not re-extracted
  --train-extra FS[,FS…]   more training data: feature sets (any dataset, labelled or not) whose rows
                     join the training parts of their model, except rows of test or distractor
                     identities (by name) and images this experiment already lists; evaluation is unchanged
  --batch N, --micro-batch N   as for r3an train
${DATASET_HELP}
${BACKEND_HELP}

Split: identities with ≥ 2 images are divided into training and test identities; identities with one
image are distractors (never trained on). Mappers train on the training identities only (their own
validation slice is 10% of those). Results: DIR/<table>.json (with every config and the seed) and
DIR/<table>.md, the report in DIR/<table>-report/index.html. A rerun reuses every finished stage and resumes an interrupted one.`;

export function trainConfigs(
  archs: Arch[],
  o: {
    epochs?: number;
    iters?: number;
    timeMinutes?: number;
    pretrainIters?: number;
    fcEpochs?: number;
    batch?: number;
    microBatch?: number;
    seed?: number;
  },
): Record<string, TrainConfig> {
  return Object.fromEntries(
    archs.map((a) => [
      a,
      makeConfig(a, {
        epochs: ARCHITECTURES[a].fit === 'mlp' ? (o.fcEpochs ?? DEFAULT_FC_EPOCHS) : (o.epochs ?? DEFAULT_CONFIG.epochs),
        ...(o.iters != null && isBudgeted(a) ? { iters: o.iters } : {}),
        ...(o.timeMinutes != null && isBudgeted(a) ? { timeMinutes: o.timeMinutes } : {}),
        ...(o.pretrainIters != null && isBudgeted(a) ? { pretrainIters: o.pretrainIters } : {}),
        batchSize: o.batch ?? DEFAULT_CONFIG.batchSize,
        microBatch: o.microBatch ?? DEFAULT_CONFIG.microBatch,
        seed: o.seed ?? DEFAULT_CONFIG.seed,
      }),
    ]),
  );
}

/** Console progress for every stage: extraction bars, training bars, one line per stage. */
export function consoleHooks(): StageHooks {
  return {
    log: (m) => console.error(m),
    extractProgress: consoleExtractProgress,
    trainEvents: (label) => consoleTrainEvents(label),
  };
}

function parseArchs(s: string | undefined, fallback: readonly Arch[]): Arch[] {
  if (!s) return [...fallback];
  return s.split(',').map((a) => {
    if (!isArch(a)) throw new UsageError(`--archs: unknown architecture "${a}" (${ARCHS.join(', ')})`);
    return a;
  });
}

function checkModel(id: string): string {
  try {
    zooEntry(id);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return id;
}

export async function experimentCommand(argv: string[]): Promise<void> {
  const [kind, ...rest] = argv;
  const { values } = parse(rest, {
    data: { type: 'string' },
    models: { type: 'string' },
    source: { type: 'string' },
    target: { type: 'string' },
    out: { type: 'string' },
    archs: { type: 'string' },
    'test-fraction': { type: 'string' },
    seed: { type: 'string' },
    epochs: { type: 'string' },
    'fc-epochs': { type: 'string' },
    iters: { type: 'string' },
    time: { type: 'string' },
    pretrain: { type: 'string' },
    'features-from': { type: 'string' },
    'train-extra': { type: 'string' },
    batch: { type: 'string' },
    'micro-batch': { type: 'string' },
    'pairs-only': { type: 'boolean' },
    ...DATASET_OPTIONS,
    ...BACKEND_OPTIONS,
  });
  if (values.help || !kind || kind.startsWith('-')) {
    console.log(EXPERIMENT_HELP);
    return;
  }
  if (kind !== 'table5' && kind !== 'table3' && kind !== 'table2')
    throw new UsageError(`unknown experiment "${kind}" (table2, table5 or table3)`);
  const data = required(values, 'data'),
    out = required(values, 'out');
  if (kind === 'table2') {
    const list = required(values, 'models');
    const models = list === 'all' ? Object.keys(ZOO) : list.split(',').map(checkModel);
    await backendFromArgs(values);
    const r = await runTable2(
      {
        data,
        pairs: findPairsFile(data, values.pairs as string | undefined),
        models,
        out,
        pairsOnly: Boolean(values['pairs-only']),
        command: `r3an experiment ${argv.join(' ')}`,
      },
      consoleHooks(),
    );
    for (const x of r.rows)
      console.log(
        `${x.model}: LFW verification ${(100 * x.verification.mean).toFixed(2)} ± ${(100 * x.verification.std).toFixed(2)}%, rank-1 ${(100 * x.identification.rank1).toFixed(2)}%`,
      );
    console.log(`results: ${out}/table2.json, ${out}/table2.md`);
    return;
  }
  let models: string[], pairs: [string, string][];
  if (kind === 'table5') {
    models = required(values, 'models').split(',').map(checkModel);
    if (new Set(models).size !== models.length || models.length < 2) throw new UsageError('--models needs at least two different models');
    pairs = models.flatMap((s) => models.filter((t) => t !== s).map((t) => [s, t] as [string, string]));
  } else {
    const s = checkModel(required(values, 'source')),
      t = checkModel(required(values, 'target'));
    if (s === t) throw new UsageError('--source and --target must differ');
    models = [s, t];
    pairs = [[s, t]];
  }
  const archs = parseArchs(values.archs as string | undefined, kind === 'table5' ? DEFAULT_TABLE5_ARCHS : TABLE3_ROWS);
  const seed = intOption(values, 'seed') ?? DEFAULT_CONFIG.seed;
  const backend = await backendFromArgs(values);
  const spec: ExperimentSpec = {
    kind: kind as ExperimentKind,
    data,
    out,
    models,
    pairs,
    archs,
    dataset: datasetFromArgs(values),
    testFraction: numberOption(values, 'test-fraction') ?? DEFAULT_TEST_FRACTION,
    seed,
    configs: trainConfigs(archs, {
      epochs: intOption(values, 'epochs'),
      iters: intOption(values, 'iters'),
      pretrainIters: intOption(values, 'pretrain'),
      ...(values.time != null ? { timeMinutes: durationMinutes(String(values.time)) } : {}),
      fcEpochs: intOption(values, 'fc-epochs'),
      batch: intOption(values, 'batch'),
      microBatch: intOption(values, 'micro-batch'),
      seed,
    }),
    backend: describeBackend(backend),
    runtime: { ort: backend.ort, threads: backend.threads },
    command: `r3an experiment ${argv.join(' ')}`,
    ...(values['features-from'] ? { featuresFrom: String(values['features-from']).split(',') } : {}),
    ...(values['train-extra'] ? { trainExtra: String(values['train-extra']).split(',') } : {}),
  };
  const hooks = consoleHooks();
  const results = await runExperiment(spec, hooks);
  await writeExperimentReport(spec, results, hooks);
  printSummary(results, out);
}

export function printSummary(r: ExperimentResults, out: string): void {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  for (const m of Object.keys(r.self))
    console.log(`${m} → ${m}: rank-1 ${pct(r.self[m].identification.rank1)}, verification ${pct(r.self[m].verification.accuracy.mean)}`);
  for (const p of r.pairs)
    for (const [a, x] of Object.entries(p.rows))
      console.log(
        `${p.source} → ${p.target} ${a}: rank-1 ${pct(x!.eval.identification.rank1)}, verification ${pct(x!.eval.verification.accuracy.mean)}`,
      );
  console.log(
    `results: ${out}/${r.kind}.json, ${out}/${r.kind}.md, ${out}/${r.kind === 'demo' ? 'report' : `${r.kind}-report`}/index.html`,
  );
}
