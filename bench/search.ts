// `npm run bench:search`: exact cosine top-k search (the identification protocol's inner loop) against
// 10k, 100k and 1M synthetic 512-d distractors; prints probes/s and peak RSS.
// Usage: node dist/bench/search.js [--sizes 10000,100000,1000000] [--probes 500] [--dim 512] [--k 10] [--threads N]
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/backend.js';
import { topKSimilarities } from '../src/eval/topk.js';
import { l2NormalizeRows } from '../src/eval/similarity.js';
import { mulberry32 } from '../src/core/rng.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    probes: { type: 'string', default: '500' },
    dim: { type: 'string', default: '512' },
    k: { type: 'string', default: '10' },
    threads: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const dim = Number(values.dim),
  k = Number(values.k),
  np = Number(values.probes);
const info = await initBackend({ backend: values.backend as 'wasm' | 'cpu', threads: Number(values.threads) });
console.log(`backend ${info.name}${info.name === 'wasm' ? ` (${info.threads} threads)` : ''}, ${dim}-d, top-${k}, ${np} probes`);

function randomUnitRows(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const m = new Float32Array(n * dim);
  for (let i = 0; i < m.length; i++) m[i] = rand() - 0.5;
  return l2NormalizeRows(m, dim);
}

const probes = randomUnitRows(np, 1);
let peakRss = 0;
console.log('| distractors | seconds | probes/s | GFLOP/s | peak RSS |');
console.log('| ---: | ---: | ---: | ---: | ---: |');
for (const n of values.sizes!.split(',').map(Number)) {
  const set = randomUnitRows(n, 2);
  topKSimilarities(probes.subarray(0, 8 * dim), set.subarray(0, Math.min(n, 4096) * dim), dim, k); // warm-up
  const t0 = performance.now();
  topKSimilarities(probes, set, dim, k);
  const s = (performance.now() - t0) / 1000;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(
    `| ${n.toLocaleString('en')} | ${s.toFixed(2)} | ${(np / s).toFixed(1)} | ${((2 * np * n * dim) / s / 1e9).toFixed(1)} | ${(peakRss / 2 ** 30).toFixed(2)} GB |`,
  );
}
process.exit(0);
