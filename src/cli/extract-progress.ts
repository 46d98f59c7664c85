// Console progress for extraction: one bar per model with images/s, ETA and the running skip count.
import type { ExtractProgress } from '../experiment/stages.js';
import { Progress } from './progress.js';

export function consoleExtractProgress(model: string): Required<ExtractProgress> {
  let bar: Progress | undefined,
    skipped = 0;
  return {
    onStart: (total, done) => {
      bar = new Progress({ label: `extract ${model}`, total, unit: 'img' }, done);
    },
    onImage: (outcome) => {
      if (outcome === 'skipped') skipped++;
      bar?.tick(1, skipped ? `${skipped} skipped` : '');
    },
    onEnd: () => bar?.finish(),
  };
}
