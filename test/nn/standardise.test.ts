// Standardisation lives inside the exported mapping: the frozen layers compute exactly (x − μ)/σ and
// x·σ + μ, survive save → load, and a mapping trained on standardised features maps raw ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { featureStats, standardiseRows, statsOfLayer } from '../../src/nn/standardise.js';
import { composeMapping } from '../../src/nn/mapping.js';
import { buildMlp } from '../../src/nn/mlp.js';
import { seedStream } from '../../src/nn/init.js';
import { loadLayersModelFromDir, saveLayersModel } from '../../src/io/model-files.js';
import { predictRows } from '../../src/nn/predict.js';
import { useWasm } from '../helpers/backend.js';
import { tmpDir } from '../helpers/tmp.js';

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('featureStats: per-dimension mean and sample std; constant dimensions are floored, never 0', () => {
  const x = Float32Array.from([1, 5, 2, 5, 3, 5, 4, 5]); // 4 rows × 2 dims; dim 1 constant
  const s = featureStats(x, 4, 2);
  assert.ok(Math.abs(s.mean[0] - 2.5) < 1e-6 && Math.abs(s.mean[1] - 5) < 1e-6);
  assert.ok(Math.abs(s.std[0] - Math.sqrt(5 / 3)) < 1e-6);
  assert.ok(s.std[1] > 0 && Number.isFinite(standardiseRows(x, s)[1]));
  assert.throws(() => featureStats(Float32Array.from([1, 2]), 1, 2), /at least 2 rows/);
});

test('composeMapping with stats: un-standardise(inner(standardise(x))) equals the arithmetic, after save and load', async () => {
  await useWasm();
  const ds = 12,
    dt = 9,
    n = 50;
  const x = Float32Array.from(tf.randomNormal([n, ds], 0.4, 0.03, 'float32', 1).dataSync());
  const y = Float32Array.from(tf.randomNormal([n, dt], -0.1, 0.05, 'float32', 2).dataSync());
  const stats = { x: featureStats(x, n, ds), y: featureStats(y, n, dt) };
  const inner = buildMlp(ds, dt, [16], seedStream(3));
  const mapping = composeMapping([inner], stats, 'fc_mapping');
  // reference: standardise in JS, inner network, un-standardise in JS
  const z = predictRows(inner, standardiseRows(x, stats.x), ds);
  const want = Float32Array.from(z, (v, i) => v * stats.y.std[i % dt] + stats.y.mean[i % dt]);
  assert.ok(maxAbsDiff(predictRows(mapping, x, ds), want) < 1e-5);
  const dir = path.join(tmpDir(), 'm');
  await saveLayersModel(mapping, dir);
  const loaded = await loadLayersModelFromDir(dir);
  assert.ok(maxAbsDiff(predictRows(loaded, x, ds), want) < 1e-5, 'the statistics travel with the saved model');
  const back = statsOfLayer(loaded.getLayer('standardise_x'), 'in');
  assert.ok(maxAbsDiff(back.mean, stats.x.mean) < 1e-7 && maxAbsDiff(back.std, stats.x.std) < 1e-6);
  assert.equal(loaded.getLayer('standardise_x').trainable, false);
  mapping.dispose();
  loaded.dispose();
});
