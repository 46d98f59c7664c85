// `r3an demo`: from nothing to a report — fetch LFW (or reuse a copy), extract two models' features,
// train linear, FC and R³AN on the training identities, evaluate the held-out ones, write the report.
import fs from 'node:fs';
import path from 'node:path';
import { fetchDataset, LFW } from '../datasets/remote-dataset.js';
import { runExperiment, type ExperimentSpec } from '../experiment/experiment.js';
import { writeExperimentReport } from '../report/experiment-report.js';
import { listDataset, type DatasetOptions } from '../faces/dataset.js';
import { ZOO } from '../faces/zoo.js';
import { BACKEND_HELP, BACKEND_OPTIONS, intOption, parse, UsageError } from './args.js';
import { backendFromArgs, describeBackend } from './backend-options.js';
import { consoleHooks, DEFAULT_TABLE5_ARCHS, DEFAULT_TEST_FRACTION, printSummary, trainConfigs } from './experiment-command.js';
import { formatDuration } from './progress.js';

export const DEMO_DEFAULTS = { source: 'faceapi/recognition', target: 'human/faceres', out: 'r3an-demo' } as const;

/** --quick: the first 240 LFW images (≤ 4 per person), short training — minutes on a 2-core CPU. */
export const QUICK = { dataset: { limit: 240, perIdentity: 4 } satisfies DatasetOptions, epochs: 3, fcEpochs: 30 } as const;
export const FULL = { dataset: {} satisfies DatasetOptions, epochs: 20, fcEpochs: 20 } as const;

export const DEMO_HELP = `r3an demo — the whole job end to end: data → features → mappers → evaluation → report

Usage: r3an demo [--quick] [--data DIR] [--source ID] [--target ID] [--out DIR]

  --quick          a documented subset: the first ${QUICK.dataset.limit} LFW images (≤ ${QUICK.dataset.perIdentity} per person),
                   R³AN ${QUICK.epochs} epochs, FC ${QUICK.fcEpochs} epochs (about 10 minutes on a 2-core laptop CPU)
  --data DIR       an LFW copy (a folder holding lfw-deepfunneled/) or any folder of identity folders;
                   default: r3an fetch lfw's cache, downloaded on first use
  --source ID      the old model (default ${DEMO_DEFAULTS.source}); r3an models lists them
  --target ID      the new model (default ${DEMO_DEFAULTS.target})
  --out DIR        working directory (default ./${DEMO_DEFAULTS.out}); every stage is cached there and a
                   rerun resumes where an interrupted one stopped
  --limit N, --epochs N, --fc-epochs N   override the subset size and training length
${BACKEND_HELP}

Without --quick: all of LFW (13,233 images) and ${FULL.epochs} epochs. On a 2-core CPU that is about 3.5 h of
extraction and about 10 h of R³AN training; a rough estimate is printed before the work starts.
Output: DIR/demo.json, DIR/demo.md and DIR/report/index.html.`;

async function resolveImages(data: string | undefined, log: (m: string) => void): Promise<string> {
  if (!data) return (await fetchDataset(LFW, { log })).images;
  if (!fs.existsSync(data)) throw new UsageError(`--data ${data}: no such directory`);
  return fs.existsSync(path.join(data, LFW.archive.folder)) ? path.join(data, LFW.archive.folder) : data;
}

/**
 * Measured rates on the 2-core development CPU (npm run bench, 2 threads): R³AN trains at ≈ 16
 * samples/s on onnxruntime, ≈ 5.5 on TF.js wasm; ≈ 40% of LFW images train.
 */
const R3AN_SAMPLES_PER_SECOND = { onnxruntime: 16, tfjs: 5.5 };
const TRAIN_SHARE = 0.4;

function roughEstimate(images: number, models: string[], r3anEpochs: number, onnx: boolean): string {
  const rate = (m: string) => (onnx ? ZOO[m].typicalImagesPerSecond.onnxruntime : undefined) ?? ZOO[m].typicalImagesPerSecond.tfjs;
  const extract = models.reduce((s, m) => s + images / rate(m), 0);
  const train = (images * TRAIN_SHARE * r3anEpochs) / R3AN_SAMPLES_PER_SECOND[onnx ? 'onnxruntime' : 'tfjs'];
  return `rough time estimate on a 2-core CPU (stages already done cost nothing): extraction ${formatDuration(extract)}, R³AN training ${formatDuration(train)} on ${onnx ? 'onnxruntime' : 'TF.js'}, for ${images} images`;
}

export async function demoCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    quick: { type: 'boolean' },
    data: { type: 'string' },
    source: { type: 'string' },
    target: { type: 'string' },
    out: { type: 'string' },
    limit: { type: 'string' },
    epochs: { type: 'string' },
    'fc-epochs': { type: 'string' },
    ...BACKEND_OPTIONS,
  });
  if (values.help) {
    console.log(DEMO_HELP);
    return;
  }
  const source = (values.source as string | undefined) ?? DEMO_DEFAULTS.source,
    target = (values.target as string | undefined) ?? DEMO_DEFAULTS.target;
  for (const m of [source, target]) if (!ZOO[m]) throw new UsageError(`unknown model "${m}" (${Object.keys(ZOO).join(', ')})`);
  if (source === target) throw new UsageError('--source and --target must differ');
  const preset = values.quick ? QUICK : FULL;
  const out = (values.out as string | undefined) ?? DEMO_DEFAULTS.out;
  const hooks = consoleHooks();
  const t0 = Date.now();
  const images = await resolveImages(values.data as string | undefined, hooks.log);
  const backend = await backendFromArgs(values);
  const limit = intOption(values, 'limit');
  const archs = [...DEFAULT_TABLE5_ARCHS];
  hooks.log(`demo: ${source} → ${target} on ${images}${values.quick ? ' (quick subset)' : ''}; working directory ${out}`);
  const dataset = { ...preset.dataset, ...(limit != null ? { limit } : {}) };
  const configs = trainConfigs(archs, {
    epochs: intOption(values, 'epochs') ?? preset.epochs,
    fcEpochs: intOption(values, 'fc-epochs') ?? preset.fcEpochs,
  });
  hooks.log(roughEstimate(listDataset(images, dataset).length, [source, target], configs.r3an.epochs, backend.ort != null));
  const spec: ExperimentSpec = {
    kind: 'demo',
    data: images,
    out,
    models: [source, target],
    pairs: [[source, target]],
    archs,
    dataset,
    testFraction: DEFAULT_TEST_FRACTION,
    seed: 1,
    configs,
    backend: describeBackend(backend),
    runtime: { ort: backend.ort, threads: backend.threads },
    command: `r3an demo ${argv.join(' ')}`.trim(),
  };
  const results = await runExperiment(spec, hooks);
  await writeExperimentReport(spec, results, hooks);
  printSummary(results, out);
  console.log(`report: ${path.join(out, 'report', 'index.html')}  [${formatDuration((Date.now() - t0) / 1000)}]`);
  console.log(`Read it as: rank-1 = share of held-out probes whose own gallery image ranks first among all distractors;
Src→Src and Tgt→Tgt are each model on its own, the mapped rows are old (${source}) features searched in a new (${target}) gallery.`);
}
