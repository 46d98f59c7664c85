// Console progress for training: a bar per epoch (samples/s, losses, ETA) and one line per finished epoch.
import type { TrainEvents } from '../train/train-mapper.js';
import { Progress, formatDuration } from './progress.js';

const fmt = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v.toPrecision(3)}`)
    .join(' ');

export function consoleTrainEvents(label = ''): TrainEvents {
  let bar: Progress | undefined;
  const prefix = label ? `${label} ` : '';
  return {
    onLog: (m) => console.error(`${prefix}${m}`),
    // `epochs` is the run's own count (--iters rounds up to whole epochs), not the config default.
    onEpochStart: (epoch, iterations, start, epochs) => {
      bar = new Progress({ label: `${prefix}epoch ${epoch + 1}/${epochs}`, total: iterations, unit: 'it' }, start);
    },
    onIteration: (samples, losses) => bar?.tick(1, () => `${(bar!.rate * samples).toFixed(1)} samples/s ${fmt(losses)}`),
    onEpochEnd: (rec) => {
      const v = rec.val;
      const val = v
        ? ` | val${v.top1 != null ? ` top1=${v.top1.toFixed(4)}${v.gain ? ` at gain ${v.gain}` : ''} (${v.probes} probes${v.distractors ? `, ${v.distractors} distractors` : ''}${v.meanTop1 != null ? `; mean predictor ${v.meanTop1.toFixed(4)}` : ''})` : ''} cos=${v.cosine.toFixed(4)}${v.meanCosine != null ? ` (mean predictor ${v.meanCosine.toFixed(4)})` : ''}${v.centredCosine != null ? ` centred cos=${v.centredCosine.toFixed(4)}` : ''}`
        : '';
      bar?.finish();
      console.error(`${prefix}epoch ${rec.epoch}: ${fmt(rec.losses)}${val} [${formatDuration(rec.seconds)}]`);
    },
  };
}
