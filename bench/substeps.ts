// `node dist/bench/substeps.js`: each training sub-step's onnxruntime graph (D, G, E, the joint step) timed
// alone, medians of alternated runs. With --against DIR (another build's dist/ folder, e.g. an older
// commit built in a git worktree) both builds' graphs are made for the same networks and run in turn in
// this one process, so a before/after survives a machine whose speed drifts from minute to minute.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { InferenceSession } from 'onnxruntime-node';
import { initBackend } from '../src/backend/backend.js';
import { loadOnnxRuntime } from '../src/backend/onnxruntime.js';
import { buildDiscriminator } from '../src/nn/discriminator.js';
import { buildExtractor } from '../src/nn/extractor.js';
import { buildGenerator } from '../src/nn/generator.js';
import { FACE_SIZE } from '../src/core/face-size.js';
import { seedStream } from '../src/nn/init.js';
import { mulberry32 } from '../src/core/rng.js';
import { makeConfig } from '../src/train/config.js';
import { lossSwitches } from '../src/train/architectures.js';
import { buildSubStep, INPUT_FACES, INPUT_X, INPUT_Y, type StepPlan, type SubStep } from '../src/train/onnx/step-graphs.js';

const USAGE = `usage: node dist/bench/substeps.js [options]
  --steps LIST     sub-steps to time: d, g, e, reg  [d,g,e,reg]
  --threads N      onnxruntime threads  [2]
  --micro-batch N  samples per graph run  [32]
  --runs N         timed runs of each graph  [10]
  --dim D          source and target feature dimension  [512]
  --against DIR    another build's dist/ folder: its graphs alternate with this build's`;

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: 'd,g,e,reg' },
    threads: { type: 'string', default: '2' },
    'micro-batch': { type: 'string', default: '32' },
    runs: { type: 'string', default: '10' },
    dim: { type: 'string', default: '512' },
    against: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const threads = Number(values.threads),
  n = Number(values['micro-batch']),
  runs = Number(values.runs),
  dim = Number(values.dim);

await initBackend({ backend: 'wasm', threads: 1 });
const ort = await loadOnnxRuntime();
if (!ort) {
  console.log('onnxruntime-node is not installed: nothing to time');
  process.exit(0);
}
const cfg = makeConfig('r3an');
const seeds = seedStream(3);
const nets = { g: buildGenerator(dim, seeds), d: buildDiscriminator(seeds), e: buildExtractor(dim, seeds) };
type Build = typeof buildSubStep;
const builds: [string, Build][] = [['this build', buildSubStep]];
if (values.against) {
  const other = pathToFileURL(path.resolve(values.against, 'src/train/onnx/step-graphs.js')).href;
  builds.unshift([values.against, ((await import(other)) as { buildSubStep: Build }).buildSubStep]);
}
const rand = mulberry32(11);
const data = (len: number, scale: number) => Float32Array.from({ length: len }, () => (rand() - 0.5) * scale);
const inputs: Record<string, Float32Array> = {
  [INPUT_X]: data(n * dim, 1),
  [INPUT_Y]: data(n * dim, 1),
  [INPUT_FACES]: data(n * FACE_SIZE * FACE_SIZE * 3, 2),
};
const shapes: Record<string, number[]> = { [INPUT_X]: [n, dim], [INPUT_Y]: [n, dim], [INPUT_FACES]: [n, FACE_SIZE, FACE_SIZE, 3] };
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

console.log(
  `sub-step graphs, micro-batch ${n}, ${threads} thread(s), ${runs} runs each${builds.length > 1 ? ', builds alternated' : ''}: median ms (loss sums)`,
);
for (const kind of values.steps!.split(',') as SubStep[]) {
  const made: { session: InferenceSession; feeds: Record<string, InstanceType<NonNullable<typeof ort>['Tensor']>>; plan: StepPlan }[] = [];
  for (const [, build] of builds) {
    const plan = build(kind, nets, n, dim, dim, lossSwitches('r3an'), cfg.lambda);
    const session = await ort.InferenceSession.create(plan.bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
    });
    const feeds: Record<string, InstanceType<NonNullable<typeof ort>['Tensor']>> = {};
    for (const name of plan.data) feeds[name] = new ort.Tensor('float32', inputs[name], shapes[name]);
    for (const w of plan.weights) feeds[w.input] = new ort.Tensor('float32', w.variable.dataSync() as Float32Array, w.variable.shape);
    await session.run(feeds); // warm-up
    made.push({ session, feeds, plan });
  }
  const times = made.map(() => [] as number[]);
  const losses = made.map(() => '');
  for (let r = 0; r < runs; r++) {
    // alternate which build goes first
    const order = made.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) {
      const t0 = performance.now();
      const out = await made[i].session.run(made[i].feeds);
      times[i].push(performance.now() - t0);
      losses[i] = Object.keys(made[i].plan.lossOutputs)
        .map((name) => (out[name].data as Float32Array)[0].toPrecision(6))
        .join(', ');
    }
  }
  const cells = builds.map(([label], i) => `${label}: ${median(times[i]).toFixed(0)} (${losses[i]})`);
  const ratio = builds.length > 1 ? `  ratio ${(median(times[1]) / median(times[0])).toFixed(2)}` : '';
  console.log(`${kind.padEnd(4)} ${cells.join(' | ')}${ratio}`);
  for (const m of made) await m.session.release();
}
process.exit(0);
