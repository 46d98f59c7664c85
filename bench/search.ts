// `npm run bench:search`: exact cosine top-k search (the identification protocol's inner loop) against
// 10k, 100k and 1M synthetic 512-d distractors, on onnxruntime (Gemm + TopK per block) and on TF.js;
// prints probes/s, GFLOP/s, the ratio between the two, and peak RSS.
// Usage: node dist/bench/search.js [--sizes 10000,100000,1000000] [--probes 500] [--dim 512] [--k 10]
//        [--threads N] [--runtimes onnx,tfjs] [--set-chunk N] [--probe-chunk N]
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/backend.js';
import { topKSimilarities } from '../src/eval/topk.js';
import { l2NormalizeRows } from '../src/eval/similarity.js';
import { mulberry32 } from '../src/core/rng.js';
import type { Runtime } from '../src/backend/onnxruntime.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    probes: { type: 'string', default: '500' },
    dim: { type: 'string', default: '512' },
    k: { type: 'string', default: '10' },
    threads: { type: 'string', default: '2' },
    runtimes: { type: 'string', default: 'onnx,tfjs' },
    'set-chunk': { type: 'string' },
    'probe-chunk': { type: 'string' },
  },
});
const dim = Number(values.dim),
  k = Number(values.k),
  np = Number(values.probes),
  threads = Number(values.threads);
const chunks = {
  ...(values['set-chunk'] ? { setChunk: Number(values['set-chunk']) } : {}),
  ...(values['probe-chunk'] ? { probeChunk: Number(values['probe-chunk']) } : {}),
};
const info = await initBackend({ backend: 'wasm', threads });
console.log(`${dim}-d, top-${k}, ${np} probes, ${threads} threads (TF.js: ${info.name})`);

function randomUnitRows(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const m = new Float32Array(n * dim);
  for (let i = 0; i < m.length; i++) m[i] = rand() - 0.5;
  return l2NormalizeRows(m, dim);
}

const probes = randomUnitRows(np, 1);
let peakRss = 0;
const runtimes = values.runtimes!.split(',') as Runtime[];
console.log(`| distractors | ${runtimes.map((r) => `${r} probes/s | ${r} GFLOP/s`).join(' | ')} | ratio | peak RSS |`);
console.log(`| ---: | ${runtimes.map(() => '---: | ---:').join(' | ')} | ---: | ---: |`);
for (const n of values.sizes!.split(',').map(Number)) {
  const set = randomUnitRows(n, 2);
  const rates: number[] = [];
  for (const runtime of runtimes) {
    const opts = { runtime, threads, ...chunks };
    await topKSimilarities(probes.subarray(0, 8 * dim), set.subarray(0, Math.min(n, 4096) * dim), dim, k, opts); // warm-up
    const t0 = performance.now();
    await topKSimilarities(probes, set, dim, k, opts);
    rates.push(np / ((performance.now() - t0) / 1000));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const cells = rates.map((r) => `${r.toFixed(1)} | ${((2 * r * n * dim) / 1e9).toFixed(1)}`);
  const ratio = rates.length === 2 ? `${(rates[0] / rates[1]).toFixed(1)}×` : '–';
  console.log(`| ${n.toLocaleString('en')} | ${cells.join(' | ')} | ${ratio} | ${(peakRss / 2 ** 30).toFixed(2)} GB |`);
}
process.exit(0);
