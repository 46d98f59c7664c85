// Where an experiment keeps each stage's output, so a rerun finds and reuses it:
//   features/<model>/            full extraction (with crops), resumable
//   split.json                   identity-disjoint train / test / distractor identities
//   split/<model>/<part>/        the parts as feature sets (train, test, distractors)
//   mappers/<src>--<tgt>/<arch>/ trained mappers (checkpointed, resumable)
//   evals/<src>--<tgt>/<arch>.json, evals/self/<model>.json   cached evaluations
//   <kind>.json, <kind>.md, <kind>-report/ (demo: report/)   results and the HTML report
import path from 'node:path';
import type { SplitPart } from '../eval/split.js';

export const modelSlug = (id: string) => id.replace(/[^A-Za-z0-9._-]+/g, '-');
export const pairSlug = (source: string, target: string) => `${modelSlug(source)}--${modelSlug(target)}`;

export class Workspace {
  constructor(readonly dir: string) {}
  features(model: string): string {
    return path.join(this.dir, 'features', modelSlug(model));
  }
  get splitFile(): string {
    return path.join(this.dir, 'split.json');
  }
  part(model: string, part: SplitPart): string {
    return path.join(this.dir, 'split', modelSlug(model), part);
  }
  mapper(source: string, target: string, arch: string): string {
    return path.join(this.dir, 'mappers', pairSlug(source, target), arch);
  }
  crossEval(source: string, target: string, arch: string): string {
    return path.join(this.dir, 'evals', pairSlug(source, target), `${arch}.json`);
  }
  selfEval(model: string): string {
    return path.join(this.dir, 'evals', 'self', `${modelSlug(model)}.json`);
  }
  results(kind: string, ext: 'json' | 'md'): string {
    return path.join(this.dir, `${kind}.${ext}`);
  }
  /** the demo's report is report/; each experiment kind has its own (table5-report/, table3-report/) */
  report(kind: string): string {
    return path.join(this.dir, kind === 'demo' ? 'report' : `${kind}-report`);
  }
}
