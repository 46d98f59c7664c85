// `npm run bench`: training seconds/iteration and mapping features/s per backend configuration,
// as medians after warm-up, with achieved GFLOP/s from the networks' multiply-add count and peak RSS.
// Configurations: wasm-N (TF.js wasm, N threads), cpu (TF.js pure JS), onnx-N (training sub-steps as
// onnxruntime graphs on N threads, Adam in r3an's native kernel or JS; skipped where onnxruntime-node is not
// installed). `map` runs on TF.js in wasm/cpu configurations and on onnxruntime in onnx-N ones, checked
// there against TF.js. onnx-N configurations also measure the ceiling: onnxruntime's rate on one large
// dense matrix product with N threads, the most any of these networks' layers could reach here.
// onnx-N configurations are also timed against the PyTorch yardstick (--yardstick DIR, default
// ../shared/yardsticks/pytorch, its 'fast' variant on the same threads and batches) where python3 has
// torch, and the ratios printed (goal: training ≤ 1.0× PyTorch's time, map ≥ 1.0× its rate).
// Usage: node dist/bench/bench.js [--iters N] [--dim D] [--configs onnx-2,wasm-2,cpu] [--batches 64] [--map-batch 256] [--skip-train]
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../src/backend/backend.js';
import { makeConfig } from '../src/train/config.js';
import { GanTrainer } from '../src/train/trainers.js';
import type { TrainStep } from '../src/train/schedule.js';
import { isArrayAdam } from '../src/train/array-adam.js';
import { mapRows } from '../src/mapper/map-rows.js';
import { createMappingRunner } from '../src/mapper/onnx-runtime.js';
import { chooseRuntime, type Ort } from '../src/backend/onnxruntime.js';
import { Tape } from '../src/onnx/tape.js';
import { encodeOnnxModel } from '../src/onnx/proto.js';

const USAGE = `usage: node dist/bench/bench.js [options]
  --configs LIST      onnx-N (onnxruntime training graphs and map, N threads), wasm-N (TF.js wasm), cpu (TF.js JS)  [wasm-2]
  --batches LIST      training batch sizes  [64]
  --micro-batch N     micro-batch the networks see at once  [32]
  --map-batch N       features per map call  [256]
  --iters N           timed iterations (medians are printed)  [3]
  --dim D             source and target feature dimension  [512]
  --skip-train        measure map (and the ceiling) only
  --yardstick DIR     the PyTorch yardstick to compare onnx-N configurations with  [../shared/yardsticks/pytorch]
  --no-yardstick      do not run it`;

const { values } = parseArgs({
  options: {
    iters: { type: 'string', default: '3' },
    dim: { type: 'string', default: '512' },
    configs: { type: 'string', default: 'wasm-2' },
    batches: { type: 'string', default: '64' },
    'map-batch': { type: 'string', default: '256' },
    'micro-batch': { type: 'string', default: '32' },
    'skip-train': { type: 'boolean', default: false },
    yardstick: { type: 'string', default: '../shared/yardsticks/pytorch' },
    'no-yardstick': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const iters = Number(values.iters),
  dim = Number(values.dim),
  mapBatch = Number(values['map-batch']);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/**
 * Multiply-adds per sample of one training iteration from the networks' forward passes, forward +
 * backward ≈ 3× forward: G forward and backward in the D + G step (its forward shared) and the joint
 * step (6×); D forward and backward on real and fake, forward and input gradient in the G step (8×);
 * E in the E and joint steps (6×). The yardstick counts its networks the same way.
 */
const macsPerIteration = (m: Record<'G' | 'D' | 'E', number>) => 6 * m.G + 8 * m.D + 6 * m.E;

/** Multiply-adds of one forward pass per sample, from the layers' own shapes (conv, transposed conv, dense). */
function forwardMacs(model: tf.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const w = layer.getWeights()[0];
    if (!w) continue;
    if (cls === 'Conv2D' || cls === 'DepthwiseConv2D') {
      const out = layer.outputShape as number[];
      macs += out[1] * out[2] * w.size;
    } else if (cls === 'Conv2DTranspose') {
      const inp = layer.input as tf.SymbolicTensor;
      macs += (inp.shape[1] ?? 1) * (inp.shape[2] ?? 1) * w.size;
    } else if (cls === 'Dense') macs += w.size;
  }
  return macs;
}

// Backends initialise once per process (wasm threads cannot change later): one child process per configuration.
const configs = values.configs!.split(',');
if (configs.length > 1) {
  for (const c of configs) {
    const args = process.argv.slice(2).filter((_, i, a) => a[i] !== '--configs' && a[i - 1] !== '--configs');
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args, '--configs', c], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  process.exit(0);
}

/** onnxruntime's best GFLOP/s on a 2048³ dense matrix product: the practical ceiling for any layer on these threads. */
async function gemmCeiling(ort: Ort, threads: number): Promise<number> {
  const n = 2048,
    t = new Tape();
  t.output(t.op('MatMul', [t.input('a', [n, n]), t.input('b', [n, n])], [n, n]), 'c');
  const session = await ort.InferenceSession.create(encodeOnnxModel(t.graph('gemm')), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
  });
  const feeds = {
    a: new ort.Tensor(
      'float32',
      Float32Array.from({ length: n * n }, () => Math.random()),
      [n, n],
    ),
    b: new ort.Tensor(
      'float32',
      Float32Array.from({ length: n * n }, () => Math.random()),
      [n, n],
    ),
  };
  await session.run(feeds);
  // a ceiling is a best case: the fastest of several runs (this machine's timings vary by ±15% run to run)
  let best = Infinity;
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  await session.release();
  return (2 * n ** 3) / best / 1e9;
}

interface Yardstick {
  train: Record<number, number>;
  /** per batch: PyTorch's phase medians (s): G_fwd, D_step, G_step, E_step, GE_step */
  phases: Record<number, Record<string, number>>;
  mapPerSecond: number;
  blas: string;
  /** forward multiply-adds per sample of its G, D and E */
  macs: Record<'G' | 'D' | 'E', number>;
}

/** The PyTorch yardstick's 'fast' variant on these threads and batches, or why it cannot run here. */
function pytorchYardstick(threads: number, batches: number[]): Yardstick | string {
  const dir = path.resolve(values.yardstick!),
    script = path.join(dir, 'bench.py');
  if (!fs.existsSync(script)) return `no ${script}`;
  // the system interpreter, as the yardstick's README asks (Debian's python3-torch)
  const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0)
    return `${py} has no torch (apt-get install python3-torch python3-numpy libopenblas0-openmp)`;
  const json = path.join(os.tmpdir(), `r3an-yardstick-${process.pid}.json`);
  const n = String(Math.max(iters, 5));
  const r = spawnSync(
    py,
    [
      script,
      '--batches',
      batches.join(','),
      '--threads',
      String(threads),
      '--variants',
      'fast',
      '--warmup',
      '3',
      '--iters',
      n,
      '--iters256',
      n,
      '--json',
      json,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (r.status !== 0 || !fs.existsSync(json)) return `bench.py exited with ${r.status}`;
  const out = JSON.parse(fs.readFileSync(json, 'utf8')) as {
    env: { blas?: unknown };
    macs: Record<'G' | 'D' | 'E', { macs: number }>;
    timings: Record<string, { median: number; features_per_s?: number; phases_median?: Record<string, number> }>;
  };
  fs.rmSync(json, { force: true });
  return {
    train: Object.fromEntries(batches.map((b) => [b, out.timings[`r3an_train_b${b}_fast`].median])),
    phases: Object.fromEntries(batches.map((b) => [b, out.timings[`r3an_train_b${b}_fast`].phases_median ?? {}])),
    mapPerSecond: out.timings.r3an_infer_b256_fast.features_per_s ?? NaN,
    blas: JSON.stringify(out.env.blas ?? ''),
    macs: { G: out.macs.G.macs, D: out.macs.D.macs, E: out.macs.E.macs },
  };
}

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

for (const cfgName of configs) {
  const [backend, threadsStr] = cfgName.split('-');
  const threads = Number(threadsStr ?? 1);
  const onnx = backend === 'onnx';
  const info = await initBackend({ backend: onnx ? 'wasm' : (backend as 'wasm' | 'cpu'), threads: onnx ? 1 : threads });
  const ort = onnx ? await chooseRuntime('auto') : null;
  if (onnx && !ort) {
    console.log(`${cfgName}: skipped, onnxruntime-node is not installed`);
    continue;
  }
  const plural = (n: number) => `${n} thread${n > 1 ? 's' : ''}`;
  const label = onnx ? `onnxruntime(${plural(threads)})` : `${info.name}${info.name === 'wasm' ? `(${plural(info.threads)})` : ''}`;
  const ceiling = ort ? await gemmCeiling(ort, threads) : 0;
  if (ort) console.log(`ceiling ${label.padEnd(16)}: ${ceiling.toFixed(1)} GFLOP/s on a 2048³ matrix product`);
  const ofCeiling = (gflops: number) => (ceiling ? `, ${((100 * gflops) / ceiling).toFixed(0)}% of the ceiling` : '');
  const ours: {
    train: Record<number, number>;
    phases: Record<number, Record<string, number>>;
    mapPerSecond?: number;
    macs?: Record<'G' | 'D' | 'E', number>;
  } = {
    train: {},
    phases: {},
  };
  for (const batch of values.batches!.split(',').map(Number)) {
    const trainer = new GanTrainer(
      makeConfig('r3an', { batchSize: batch, microBatch: Math.min(batch, Number(values['micro-batch'])) }),
      dim,
      dim,
      { ort, threads },
    );
    const g = trainer.nets.generator,
      d = trainer.nets.discriminator,
      e = trainer.nets.extractor;
    ours.macs = { G: forwardMacs(g), D: forwardMacs(d), E: forwardMacs(e) };
    const macsPerSample = macsPerIteration(ours.macs);
    const data = {
      n: batch,
      ds: dim,
      dt: dim,
      identities: [],
      paths: [],
      x: Float32Array.from({ length: batch * dim }, () => Math.random() - 0.5),
      y: Float32Array.from({ length: batch * dim }, () => Math.random() - 0.5),
      crops: Uint8Array.from({ length: batch * 56 * 56 * 3 }, () => Math.random() * 255),
    };
    const rows = Array.from({ length: batch }, (_, i) => i);
    if (!values['skip-train']) {
      const tw = performance.now();
      await trainer.step(rows, data); // warm-up (onnxruntime: graph building and session creation)
      const adam = trainer.optimizers.d;
      const optimiser = isArrayAdam(adam)
        ? `, Adam in ${adam.native ? "r3an's native kernel" : 'JS (native kernel not built)'}`
        : ', Adam on TF.js';
      console.log(
        `train  ${label.padEnd(16)} batch ${String(batch).padStart(3)}: warm-up step ${((performance.now() - tw) / 1000).toFixed(1)} s${optimiser}`,
      );
      const times: number[] = [];
      const phases: Partial<Record<TrainStep | 'd+g', number>>[] = [];
      for (let i = 0; i < iters; i++) {
        trainer.phaseSeconds = {};
        const t0 = performance.now();
        await trainer.step(rows, data);
        times.push((performance.now() - t0) / 1000);
        phases.push(trainer.phaseSeconds);
        sampleRss();
      }
      trainer.phaseSeconds = undefined;
      if (onnx) {
        // the D and G steps run as one graph ('d+g') where they can
        const kinds = ['d', 'g', 'd+g', 'e', 'reg'] as const;
        ours.phases[batch] = Object.fromEntries(
          kinds.filter((k) => phases.some((p) => k in p)).map((k) => [k, median(phases.map((p) => p[k] ?? 0))]),
        );
        const ms = Object.entries(ours.phases[batch]).map(([k, v]) => `${k} ${(v * 1e3).toFixed(0)} ms`);
        console.log(
          `train  ${label.padEnd(16)} batch ${String(batch).padStart(3)}: sub-steps (medians, optimiser included) ${ms.join(', ')}`,
        );
      }
      const s = median(times),
        gflops = (2 * macsPerSample * batch) / s / 1e9;
      ours.train[batch] = s;
      console.log(
        `train  ${label.padEnd(16)} batch ${String(batch).padStart(3)}: ${s.toFixed(2)} s/iter  ${(batch / s).toFixed(1)} samples/s  ${gflops.toFixed(1)} GFLOP/s (≈${(macsPerSample / 1e6).toFixed(0)} M MACs/sample/iter${ofCeiling(gflops)})  peak RSS ${(peakRss / 2 ** 30).toFixed(2)} GB`,
      );
    }
    // untrained batch norms (moving mean 0, variance 1) map everything to ≈ 0, which would make the
    // onnxruntime-vs-TF.js check below vacuous: without training steps, estimate their statistics first
    if (values['skip-train']) await trainer.recalibrate(rows, data);
    const x = Float32Array.from({ length: mapBatch * dim }, () => Math.random() - 0.5);
    const mapping = trainer.mapping();
    const fwd = forwardMacs(g) + forwardMacs(e); // multiply-adds per mapped feature
    if (!onnx) {
      mapRows(mapping, x, dim, dim, true);
      const mt: number[] = [];
      for (let i = 0; i < iters; i++) {
        const t0 = performance.now();
        mapRows(mapping, x, dim, dim, true);
        mt.push((performance.now() - t0) / 1000);
      }
      const ms = median(mt);
      console.log(
        `map    ${label.padEnd(16)} batch ${String(mapBatch).padStart(3)}: ${(mapBatch / ms).toFixed(0)} features/s  ${((2 * fwd * mapBatch) / ms / 1e9).toFixed(1)} GFLOP/s (${(fwd / 1e6).toFixed(0)} M MACs/feature)`,
      );
    } else {
      const runner = await createMappingRunner(mapping, 'onnx', threads);
      const ref = mapRows(mapping, x, dim, dim, false);
      const y = await runner.run(x, dim, dim, false);
      let diff = 0,
        scale = 0;
      for (let i = 0; i < y.length; i++) {
        diff = Math.max(diff, Math.abs(y[i] - ref[i]));
        scale = Math.max(scale, Math.abs(ref[i]));
      }
      const ot: number[] = [];
      for (let i = 0; i < Math.max(iters, 5); i++) {
        const t0 = performance.now();
        await runner.run(x, dim, dim, true);
        ot.push((performance.now() - t0) / 1000);
      }
      const os_ = median(ot),
        gflops = (2 * fwd * mapBatch) / os_ / 1e9;
      ours.mapPerSecond = mapBatch / os_;
      console.log(
        `map    ${label.padEnd(16)} batch ${String(mapBatch).padStart(3)}: ${(mapBatch / os_).toFixed(0)} features/s  ${gflops.toFixed(1)} GFLOP/s (${(fwd / 1e6).toFixed(0)} M MACs/feature${ofCeiling(gflops)}; at the ceiling: ${((ceiling * 1e9) / (2 * fwd)).toFixed(0)} features/s)  max |onnx − tfjs| ${diff.toExponential(1)} (max |tfjs| ${scale.toExponential(1)})`,
      );
      await runner.dispose();
    }
    await trainer.dispose();
  }
  if (onnx && !values['no-yardstick']) {
    const batches = Object.keys(ours.train).map(Number);
    const y = pytorchYardstick(threads, batches.length ? batches : [64]);
    if (typeof y === 'string') console.log(`vs PyTorch ${label}: not measured (${y})`);
    else {
      if (!/openblas|mkl/i.test(y.blas))
        console.log(`vs PyTorch: its BLAS is ${y.blas}, not OpenBLAS or MKL: no yardstick (see its README)`);
      for (const b of batches) {
        console.log(
          `vs PyTorch ${label.padEnd(16)} batch ${String(b).padStart(3)}: train r3an ${ours.train[b].toFixed(2)} s/iter, PyTorch ${y.train[b].toFixed(2)} s/iter → r3an takes ${(ours.train[b] / y.train[b]).toFixed(2)}× PyTorch's time (goal ≤ 1.0)`,
        );
        // per sub-step (medians, ms): PyTorch times G's forward pass apart, r3an's computes it in the D (or D + G) graph
        const o = ours.phases[b],
          p = y.phases[b] ?? {};
        if (o)
          for (const [name, mine, theirs] of [
            ['D + G steps', (o.d ?? 0) + (o.g ?? 0) + (o['d+g'] ?? 0), (p.G_fwd ?? 0) + (p.D_step ?? 0) + (p.G_step ?? 0)],
            ['E step', o.e ?? 0, p.E_step ?? 0],
            ['joint step', o.reg ?? 0, p.GE_step ?? 0],
          ] as const)
            console.log(
              `vs PyTorch ${label.padEnd(16)} batch ${String(b).padStart(3)}:   ${name.padEnd(11)} r3an ${(mine * 1e3).toFixed(0)} ms, PyTorch ${(theirs * 1e3).toFixed(0)} ms → ${theirs ? `${(mine / theirs).toFixed(2)}×` : '–'}`,
            );
      }
      if (ours.macs) {
        // the networks are the paper's table in both, but not layer for layer: the work per iteration differs
        const mine = macsPerIteration(ours.macs),
          theirs = macsPerIteration(y.macs);
        const f = (m: Record<'G' | 'D' | 'E', number>) =>
          `G ${(m.G / 1e6).toFixed(1)}, D ${(m.D / 1e6).toFixed(2)}, E ${(m.E / 1e6).toFixed(1)}`;
        console.log(
          `vs PyTorch ${label.padEnd(16)} work: forward M MACs per sample r3an ${f(ours.macs)}; PyTorch ${f(y.macs)} → per iteration ${(mine / 1e6).toFixed(0)} against ${(theirs / 1e6).toFixed(0)} M (${(mine / theirs).toFixed(2)}×)`,
        );
        for (const b of batches)
          console.log(
            `vs PyTorch ${label.padEnd(16)} batch ${String(b).padStart(3)}: multiply-adds per second r3an ${((mine * b) / ours.train[b] / 1e9).toFixed(1)} G, PyTorch ${((theirs * b) / y.train[b] / 1e9).toFixed(1)} G → ${(mine / ours.train[b] / (theirs / y.train[b])).toFixed(2)}× PyTorch's rate`,
          );
      }
      if (ours.mapPerSecond)
        console.log(
          `vs PyTorch ${label.padEnd(16)} map: r3an ${ours.mapPerSecond.toFixed(0)} features/s, PyTorch ${y.mapPerSecond.toFixed(0)} → ${(ours.mapPerSecond / y.mapPerSecond).toFixed(2)}× PyTorch's rate (goal ≥ 1.0)`,
        );
    }
  }
}
process.exit(0);
