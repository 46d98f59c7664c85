import fs from 'node:fs';
import { checkOutputDir, FEATURE_SET_OUTPUT } from '../io/output-policy.js';
import { extractFeatures } from '../faces/extract.js';
import { CUSTOM_MODEL_HELP } from '../faces/custom-model.js';
import { ZOO } from '../faces/zoo.js';
import { BACKEND_HELP, BACKEND_OPTIONS, intOption, parse, required } from './args.js';
import { backendFromArgs } from './backend-options.js';
import { DATASET_HELP, DATASET_OPTIONS, datasetFromArgs } from './dataset-options.js';
import { consoleExtractProgress } from './extract-progress.js';
import { formatDuration } from './progress.js';

export const EXTRACT_HELP = `r3an extract — face features (and crops) of a dataset with one zoo model

Usage: r3an extract --data DIR --model ID --out FS [--crops] [--flip] [--limit N] [--per-identity N] [--min-per-identity N] [--pairs FILE]

  --data DIR         images laid out one folder per identity: DIR/<identity>/<image>
  --model ID         ${Object.keys(ZOO).join(' | ')} (r3an models describes them),
                     or the path of your own model's spec file (see r3an models --help)
  --out FS           output feature set; work in progress lives in FS.partial and a rerun resumes it
  --crops            also store 56×56 RGB face crops (needed to train R³AN's reconstruction path)
  --flip             also extract each mirrored image (extra rows marked flipped)
  --augment K        also extract K augmented copies of each image (flip, ±8% scale/shift, ±10°
                     rotation, colour jitter, some greyscale and low-resolution copies), seeded by
                     (image path, k) so every model sees the same copies; rows marked augment: k,
                     used for training only (experiments keep them out of test sets)
${DATASET_HELP}
${BACKEND_HELP}

Every model sees the same image list in the same order, so two extractions pair up for r3an train.
Images that fail to decode or show no face are listed in the manifest's "skipped" with the reason.`;

export const MODELS_HELP = `r3an models — the face-recognition models r3an can extract features with

Usage: r3an models [--json]

${CUSTOM_MODEL_HELP}`;

export async function extractCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    model: { type: 'string' },
    out: { type: 'string' },
    crops: { type: 'boolean' },
    flip: { type: 'boolean' },
    augment: { type: 'string' },
    force: { type: 'boolean' },
    ...DATASET_OPTIONS,
    ...BACKEND_OPTIONS,
  });
  if (values.help) {
    console.log(EXTRACT_HELP);
    return;
  }
  const data = required(values, 'data'),
    model = required(values, 'model'),
    out = required(values, 'out');
  checkOutputDir(out, FEATURE_SET_OUTPUT, [data, ...(fs.existsSync(model) ? [model] : [])], Boolean(values.force));
  const backend = await backendFromArgs(values);
  const progress = consoleExtractProgress(model);
  const result = await extractFeatures({
    data,
    model,
    out,
    runtime: backend.runtime,
    crops: Boolean(values.crops),
    flip: Boolean(values.flip),
    augment: intOption(values, 'augment') ?? 0,
    ...datasetFromArgs(values),
    onLog: (m) => console.error(m),
    onStart: progress.onStart,
    onImage: (_item, outcome) => progress.onImage(outcome),
  });
  progress.onEnd();
  for (const s of result.skipped) console.error(`skipped ${s.path}: ${s.reason}`);
  console.log(
    `${out}: ${result.rows} features from ${model}; ${result.skipped.length} images skipped, ${result.multiFace} with several faces (largest, most central used) [${formatDuration(result.seconds)}]`,
  );
}

export async function modelsCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { json: { type: 'boolean' } });
  if (values.help) {
    console.log(MODELS_HELP);
    return;
  }
  const rows = Object.values(ZOO).map(({ id, dim, inputSize, package: pkg, description, preprocessing, published, caveat }) => ({
    id,
    dim,
    inputSize,
    package: pkg,
    description,
    preprocessing,
    published,
    caveat,
  }));
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(`${'id'.padEnd(22)} ${'dim'.padStart(5)} ${'input'.padStart(8)}  package / description`);
  for (const r of rows) {
    console.log(
      `${r.id.padEnd(22)} ${String(r.dim).padStart(5)} ${`${r.inputSize}×${r.inputSize}`.padStart(8)}  ${r.package}: ${r.description}`,
    );
    if (r.caveat) console.log(`${''.padEnd(38)}  caveat: ${r.caveat}`);
  }
  console.log(`\nYour own TF.js model: r3an models --help`);
}
