// `r3an report`: the HTML report for one mapper on held-out feature sets.
import { checkOutputDir, REPORT_OUTPUT } from '../io/output-policy.js';
import fs from 'node:fs';
import { FeatureSet } from '../features/feature-set.js';
import type { ExperimentResults } from '../experiment/experiment.js';
import { writeReport } from '../report/report.js';
import { BACKEND_HELP, BACKEND_OPTIONS, parse, required } from './args.js';
import { backendFromArgs } from './backend-options.js';

export const REPORT_HELP = `r3an report — a page with the paper's evidence for your mapper and data

Usage: r3an report --mapper M --source FS --target FS [--distractors FS] [--eval results.json] --out DIR

  --mapper M         a mapper from r3an train (R³AN or an ablation for reconstructions)
  --source FS        source-model features of held-out images (with crops for the reconstruction grid)
  --target FS        target-model features of the same images
  --distractors FS   target-space distractors for the identification curves (else closed set)
  --eval FILE        results of r3an experiment (table5.json / table3.json): curves and tables from it
  --out DIR          where index.html and its PNGs are written
${BACKEND_HELP}

The page (no network needed to view it) shows real face crops beside G(X) (Fig. 4), UMAP maps of
source, mapped and target features for ~20 identities (Fig. 5), CMC and ROC curves, the training
curves of every loss and the validation metric, and the experiment's tables when --eval is given.`;

export async function reportCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    mapper: { type: 'string' },
    source: { type: 'string' },
    target: { type: 'string' },
    distractors: { type: 'string' },
    eval: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    ...BACKEND_OPTIONS,
  });
  if (values.help) {
    console.log(REPORT_HELP);
    return;
  }
  const mapperDir = required(values, 'mapper'),
    out = required(values, 'out');
  checkOutputDir(
    out,
    REPORT_OUTPUT,
    [
      mapperDir,
      ...['source', 'target', 'distractors', 'eval'].flatMap((k) => (typeof values[k] === 'string' ? [values[k] as string] : [])),
    ],
    Boolean(values.force),
  );
  const source = FeatureSet.open(required(values, 'source')),
    target = FeatureSet.open(required(values, 'target'));
  const distractors = values.distractors ? FeatureSet.open(values.distractors as string) : undefined;
  let results: ExperimentResults | undefined;
  if (values.eval) {
    try {
      results = JSON.parse(fs.readFileSync(values.eval as string, 'utf8')) as ExperimentResults;
    } catch (e) {
      throw new Error(`${values.eval}: not readable experiment results (${(e as Error).message})`);
    }
    if (!Array.isArray(results.pairs) || typeof results.self !== 'object')
      throw new Error(`${values.eval}: not the results of r3an experiment (no pairs/self)`);
  }
  await backendFromArgs(values);
  const r = await writeReport({ mapperDir, source, target, distractors, results, out, log: (m) => console.error(m) });
  console.log(`report: ${r.index} (${r.images.length} images)`);
}
