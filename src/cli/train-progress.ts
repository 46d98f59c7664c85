// Console progress for training: a bar per epoch (samples/s, losses, ETA) and one line per finished epoch.
import type { TrainConfig } from '../train/config.js';
import type { TrainEvents } from '../train/train-mapper.js';
import { Progress, formatDuration } from './progress.js';

const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k}=${v.toPrecision(3)}`).join(' ');

export function consoleTrainEvents(config: TrainConfig, label = ''): TrainEvents {
  let bar: Progress | undefined;
  const prefix = label ? `${label} ` : '';
  return {
    onLog: (m) => console.error(`${prefix}${m}`),
    onEpochStart: (epoch, iterations, start) => { bar = new Progress({ label: `${prefix}epoch ${epoch + 1}/${config.epochs}`, total: iterations, unit: 'it' }, start); },
    onIteration: (samples, losses) => bar?.tick(1, () => `${(bar!.rate * samples).toFixed(1)} samples/s ${fmt(losses)}`),
    onEpochEnd: (rec) => {
      const val = rec.val ? ` | val cos=${rec.val.cosine.toFixed(4)}${rec.val.top1 != null ? ` top1=${rec.val.top1.toFixed(4)} (${rec.val.probes} probes)` : ''}` : '';
      bar?.finish(); console.error(`${prefix}epoch ${rec.epoch}: ${fmt(rec.losses)}${val} [${formatDuration(rec.seconds)}]`);
    },
  };
}
