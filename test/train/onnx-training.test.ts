// Training on onnxruntime (the graphs r3an differentiates itself) gives TF.js's numbers: two trainers
// with the same seed take the same steps, one per runtime, and every weight update, batch-norm moving
// statistic and loss must agree. Plain SGD stands in for Adam here so that a weight's change is its
// gradient (Adam's first steps move every weight by ≈ ±lr whatever the gradient's size).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadOnnxRuntime } from '../../src/backend/onnxruntime.js';
import { makeConfig } from '../../src/train/config.js';
import type { PairedData } from '../../src/train/paired-data.js';
import { GanTrainer } from '../../src/train/trainers.js';
import { useWasm } from '../helpers/backend.js';
import { makeSynthetic } from '../helpers/synthetic.js';

const ds = 24, dt = 20;

function snapshot(t: GanTrainer): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  Object.values(t.nets).forEach((m, k) => m.weights.forEach((w, i) => out.set(`${k}:${i}:${w.originalName}`, Float32Array.from(w.read().dataSync() as Float32Array))));
  return out;
}

for (const arch of ['r3an', 'arch4'] as const) {
  test(`onnxruntime training steps match TF.js: ${arch} (all sub-steps, micro-batches of 4 and 2)`, async (t) => {
    const ort = await loadOnnxRuntime();
    if (!ort) { t.skip('onnxruntime-node is not installed'); return; }
    await useWasm(false);
    const s = makeSynthetic({ identities: 3, perIdentity: 2, ds, dt });
    const data: PairedData = { n: s.n, ds, dt, x: s.x, y: s.y, crops: s.crops, identities: s.items.map((i) => i.identity), paths: s.items.map((i) => i.path) };
    const cfg = makeConfig(arch, { batchSize: 6, microBatch: 4, seed: 11 });
    const ref = new GanTrainer(cfg, ds, dt), fast = new GanTrainer(cfg, ds, dt, { ort, threads: 1 });
    assert.equal(fast.runtime, 'onnxruntime');
    for (const tr of [ref, fast]) for (const k of Object.keys(tr.optimizers)) tr.optimizers[k] = tf.train.sgd(0.05);
    const w0 = snapshot(ref);
    const rows = [0, 1, 2, 3, 4, 5];
    for (let step = 0; step < 2; step++) {
      const a = await ref.step(rows, data), b = await fast.step(rows, data);
      assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
      for (const k of Object.keys(a)) assert.ok(Math.abs(a[k] - b[k]) <= 1e-3 * Math.max(1, Math.abs(a[k])), `step ${step} loss ${k}: tfjs ${a[k]} vs onnx ${b[k]}`);
    }
    await fast.recalibrate(rows, data); await ref.recalibrate(rows, data);
    const wa = snapshot(ref), wb = snapshot(fast);
    let moved = 0;
    for (const [name, before] of w0) {
      const a = wa.get(name)!, b = wb.get(name)!;
      let scale = 0, diff = 0;
      for (let i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(a[i] - before[i])); diff = Math.max(diff, Math.abs(a[i] - b[i])); }
      if (scale > 0) moved++;
      assert.ok(diff <= 2e-3 * scale + 1e-6, `${name}: max |onnx − tfjs| ${diff.toExponential(2)} for a change of ${scale.toExponential(2)}`);
    }
    assert.ok(moved > w0.size / 2, `${moved} of ${w0.size} weights changed`);
    await ref.dispose(); await fast.dispose();
  });
}
