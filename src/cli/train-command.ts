import { checkOutputDir, MAPPER_OUTPUT } from '../io/output-policy.js';
import { makeConfig, DEFAULT_CONFIG, RIDGE_GRID, type TrainConfig } from '../train/config.js';
import { GAIN_GRID } from '../nn/output-gain.js';
import { ARCHS } from '../train/architectures.js';
import { trainMapper } from '../train/train-mapper.js';
import { BACKEND_HELP, BACKEND_OPTIONS, intOption, numberOption, parse, required } from './args.js';
import { backendFromArgs, describeBackend } from './backend-options.js';
import { consoleTrainEvents } from './train-progress.js';

export const TRAIN_HELP = `r3an train — learn a mapping from a source model's feature space into a target model's

Usage: r3an train --source FS --target FS --out MAPPER [options]

  --source FS        feature set of the old (source) model
  --target FS        feature set of the new (target) model, of the same images (paired by image path)
  --out MAPPER       output mapper directory (checkpoints live in MAPPER/checkpoint)
  --arch NAME        ${ARCHS.join(' | ')} (default r3an)
                     linear = closed-form ridge; procrustes = centred, scaled orthogonal map;
                     fc = the paper's MLP baseline; arch1..arch7 = the ablations of the paper's
                     Table 3; r3an = all four losses; auto = train linear, procrustes, fc (and r3an
                     when --time is given) and keep the best on validation
  --epochs N         default ${DEFAULT_CONFIG.epochs}
  --iters N          train N iterations (mini-batches) instead, rounded up to whole epochs
  --pretrain N       first N iterations of label-free pre-training: the D, G (Rec, Adv) and E (Rep)
                     steps without the joint regression (R³AN family only)
  --time M           stop at the end of the first epoch that ends after M minutes of training
                     (also 45m, 2h); the run then counts as finished
  --batch N          mini-batch size (default ${DEFAULT_CONFIG.batchSize})
  --micro-batch N    largest slice pushed through the networks at once; gradients are accumulated
                     over the mini-batch (default ${DEFAULT_CONFIG.microBatch}; lower it if memory runs out)
  --seed N           makes the run reproducible (default ${DEFAULT_CONFIG.seed})
  --lr-d/--lr-g/--lr-e/--lr-fc X   Adam learning rates (defaults ${Object.values(DEFAULT_CONFIG.lr).join('/')}); the joint
                     regression step updates G at G's rate and E at E's
  --lambda-rec/--lambda-adv X   weights of the G step's terms (defaults ${Object.values(DEFAULT_CONFIG.lambda).join('/')}); the Rep and
                     Reg steps minimise one term each with their own Adam, which a weight would not change
  --val-fraction X   identities held out for validation each epoch (default ${DEFAULT_CONFIG.valFraction})
  --ridge-lambda X   ridge strength for --arch linear (default: the best of ${RIDGE_GRID.join(', ')} on validation)
  --gain X|auto      output gain μ + X·(Ŷ − μ) around the target mean, which keeps typical gallery
                     features from outranking the true mate (default auto: the best of ${GAIN_GRID.join(', ')} on
                     validation; 1 = the mapping as trained)
  --checkpoint-minutes X   also checkpoint mid-epoch this often (default ${DEFAULT_CONFIG.checkpointMinutes})
  --resume           continue an interrupted run in --out exactly where it stopped
  --force            write into an --out that exists and holds something else (never replaces a mapper)
  --stop-after N     stop (resumably) after N epochs in this invocation
${BACKEND_HELP}

The best epoch by validation identification top-1 (cosine when identities are unknown) is what
MAPPER/mapping holds; mapper.json records the configuration, lineage and every epoch's metrics.`;

const OPTIONS = {
  source: { type: 'string' },
  target: { type: 'string' },
  out: { type: 'string' },
  arch: { type: 'string' },
  epochs: { type: 'string' },
  iters: { type: 'string' },
  time: { type: 'string' },
  pretrain: { type: 'string' },
  batch: { type: 'string' },
  'micro-batch': { type: 'string' },
  seed: { type: 'string' },
  'lr-d': { type: 'string' },
  'lr-g': { type: 'string' },
  'lr-e': { type: 'string' },
  'lr-fc': { type: 'string' },
  'lambda-rec': { type: 'string' },
  'lambda-adv': { type: 'string' },
  'val-fraction': { type: 'string' },
  'ridge-lambda': { type: 'string' },
  gain: { type: 'string' },
  'checkpoint-minutes': { type: 'string' },
  resume: { type: 'boolean' },
  force: { type: 'boolean' },
  'stop-after': { type: 'string' },
  ...BACKEND_OPTIONS,
} as const;

function configFromArgs(v: Record<string, unknown>): TrainConfig {
  const pick = <T>(x: T | undefined, d: T) => x ?? d;
  const lr = DEFAULT_CONFIG.lr,
    lambda = DEFAULT_CONFIG.lambda;
  return makeConfig((v.arch as string | undefined) ?? 'r3an', {
    epochs: pick(intOption(v, 'epochs'), DEFAULT_CONFIG.epochs),
    batchSize: pick(intOption(v, 'batch'), DEFAULT_CONFIG.batchSize),
    microBatch: pick(intOption(v, 'micro-batch'), DEFAULT_CONFIG.microBatch),
    seed: pick(intOption(v, 'seed'), DEFAULT_CONFIG.seed),
    ...(v.iters != null ? { iters: intOption(v, 'iters') } : {}),
    ...(v.pretrain != null ? { pretrainIters: intOption(v, 'pretrain') } : {}),
    ...(v.time != null ? { timeMinutes: durationMinutes(String(v.time)) } : {}),
    lr: {
      d: pick(numberOption(v, 'lr-d'), lr.d),
      g: pick(numberOption(v, 'lr-g'), lr.g),
      e: pick(numberOption(v, 'lr-e'), lr.e),
      fc: pick(numberOption(v, 'lr-fc'), lr.fc),
    },
    lambda: { rec: pick(numberOption(v, 'lambda-rec'), lambda.rec), adv: pick(numberOption(v, 'lambda-adv'), lambda.adv) },
    valFraction: pick(numberOption(v, 'val-fraction'), DEFAULT_CONFIG.valFraction),
    ridgeLambda: pick<number | 'auto'>(numberOption(v, 'ridge-lambda'), DEFAULT_CONFIG.ridgeLambda),
    gain: v.gain === 'auto' ? 'auto' : pick<number | 'auto'>(numberOption(v, 'gain'), DEFAULT_CONFIG.gain),
    checkpointMinutes: pick(numberOption(v, 'checkpoint-minutes'), DEFAULT_CONFIG.checkpointMinutes),
  });
}

/** '45' or '45m' → 45, '2h' → 120, '90s' → 1.5 (minutes). */
export function durationMinutes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|min|h)?$/.exec(s.trim());
  if (!m) throw new Error(`--time: expected minutes like 45, 45m, 2h or 90s, got "${s}"`);
  const n = Number(m[1]);
  const minutes = m[2] === 'h' ? n * 60 : m[2] === 's' ? n / 60 : n;
  if (!(minutes > 0)) throw new Error(`--time must be positive, got "${s}"`);
  return minutes;
}

export async function trainCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, OPTIONS);
  if (values.help) {
    console.log(TRAIN_HELP);
    return;
  }
  const config = configFromArgs(values);
  const source = required(values, 'source'),
    target = required(values, 'target'),
    out = required(values, 'out');
  // a mapper already there is refused by trainMapper (or resumed with --resume); anything else needs --force
  checkOutputDir(out, MAPPER_OUTPUT, [source, target], Boolean(values.force || values.resume));
  const backend = await backendFromArgs(values);
  console.error(`backend: ${describeBackend(backend)}`);
  const result = await trainMapper({
    source,
    target,
    out,
    config,
    backend: describeBackend(backend),
    runtime: { ort: backend.ort, threads: backend.threads },
    resume: Boolean(values.resume),
    stopAfterEpochs: intOption(values, 'stop-after'),
    events: consoleTrainEvents(),
  });
  const best = result.best
    ? `best epoch ${result.best.epoch}: val cos=${result.best.val.cosine.toFixed(4)}${result.best.val.top1 != null ? ` top1=${result.best.val.top1.toFixed(4)}` : ''}`
    : 'no validation slice';
  console.log(`${result.finished ? 'finished' : 'stopped (resume with --resume)'}: ${out} (${config.arch}; ${best})`);
}
