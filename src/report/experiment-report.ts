// The HTML report of an experiment: its first pair's report mapper (R³AN if trained) on the held-out
// parts, with the experiment's tables. Called by the CLI after the experiment; experiments do not
// depend on the report.
import { reportArch, type ExperimentResults, type ExperimentSpec } from '../experiment/experiment.js';
import { openPart, type StageHooks } from '../experiment/stages.js';
import { Workspace } from '../experiment/workspace.js';
import { writeReport } from './report.js';

export async function writeExperimentReport(spec: ExperimentSpec, results: ExperimentResults, hooks: StageHooks): Promise<string> {
  const ws = new Workspace(spec.out);
  const [source, target] = spec.pairs[0];
  const arch = reportArch(spec.archs);
  const report = await writeReport({
    mapperDir: ws.mapper(source, target, arch),
    source: openPart(ws, source, 'test'),
    target: openPart(ws, target, 'test'),
    distractors: openPart(ws, target, 'distractors'),
    results,
    out: ws.report(spec.kind),
    seed: spec.seed,
    log: hooks.log,
  });
  hooks.log(`report: ${report.index}`);
  return report.index;
}
