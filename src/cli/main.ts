// The `r3an` command: one entry point, one module per command.
import { UsageError } from './args.js';
import { evalCommand, EVAL_HELP } from './eval-command.js';
import { experimentCommand, EXPERIMENT_HELP } from './experiment-command.js';
import { demoCommand, DEMO_HELP } from './demo-command.js';
import { fetchCommand, FETCH_HELP } from './fetch-command.js';
import { extractCommand, EXTRACT_HELP, modelsCommand, MODELS_HELP } from './extract-command.js';
import { mapCommand, MAP_HELP } from './map-command.js';
import { reportCommand, REPORT_HELP } from './report-command.js';
import { trainCommand, TRAIN_HELP } from './train-command.js';

interface Command {
  summary: string;
  help: string;
  run: (argv: string[]) => Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'the whole job end to end: fetch LFW, extract, train, evaluate, report (--quick: minutes)',
    help: DEMO_HELP,
    run: demoCommand,
  },
  fetch: { summary: 'download a face dataset (LFW) with checksums and resume, or use a local copy', help: FETCH_HELP, run: fetchCommand },
  models: { summary: 'list the face models features can be extracted with', help: MODELS_HELP, run: modelsCommand },
  extract: { summary: 'extract face features (and 56×56 crops) of a dataset with one model', help: EXTRACT_HELP, run: extractCommand },
  train: { summary: 'learn a source → target feature mapping (R³AN, its ablations, FC, linear)', help: TRAIN_HELP, run: trainCommand },
  map: { summary: 'map a stored gallery into the target space', help: MAP_HELP, run: mapCommand },
  eval: {
    summary: 'identification (with distractors) and verification on feature sets, optionally cross-model',
    help: EVAL_HELP,
    run: evalCommand,
  },
  report: {
    summary: 'an HTML page: reconstructed faces, feature maps, CMC/ROC and training curves',
    help: REPORT_HELP,
    run: reportCommand,
  },
  experiment: {
    summary: "the paper's Table 5 (model pairs) and Table 3 (ablations) on your dataset",
    help: EXPERIMENT_HELP,
    run: experimentCommand,
  },
};

export const MAIN_HELP = () => `r3an — cross-model face recognition (R³AN, Chen et al., CVPR 2019) on TensorFlow.js

Stored face embeddings become useless when a system switches face models. r3an learns a mapping
from the old model's embedding space into the new one's, so old galleries keep working.

Usage: r3an <command> [options]     (r3an <command> --help for details)

Commands:
${Object.entries(COMMANDS)
  .map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`)
  .join('\n')}
`;

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  let code = 0;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? COMMANDS[rest[0]] : undefined;
      console.log(topic ? topic.help : MAIN_HELP());
    } else {
      const cmd = COMMANDS[name];
      if (!cmd) throw new UsageError(`unknown command "${name}"\n\n${MAIN_HELP()}`);
      await cmd.run(rest);
    }
  } catch (e) {
    code = e instanceof UsageError ? 2 : 1;
    console.error(`r3an: ${(e as Error).message}`);
    if (process.env.R3AN_DEBUG) console.error((e as Error).stack);
  }
  // wasm pthread workers keep the event loop alive: exit explicitly once stdout has drained.
  process.stdout.write('', () => process.exit(code));
}
