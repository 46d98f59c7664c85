// Orthogonal Procrustes and `--arch auto` on cases whose right answer is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fitProcrustes } from '../../src/nn/procrustes.js';
import { writeFeatureSet, type FeatureItem } from '../../src/features/feature-set.js';
import { l2NormalizeRows } from '../../src/eval/similarity.js';
import { mulberry32 } from '../../src/core/rng.js';
import { makeConfig } from '../../src/train/config.js';
import { trainMapper } from '../../src/train/train-mapper.js';
import { loadMapper } from '../../src/mapper/mapper.js';
import { predictRows } from '../../src/nn/predict.js';
import { useWasm } from '../helpers/backend.js';
import { tmpDir } from '../helpers/tmp.js';

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(1e-12, rand()))) * Math.cos(2 * Math.PI * rand());
}

/** A random orthogonal d×d matrix (Gram–Schmidt on a Gaussian one), row-major. */
function rotation(d: number, rand: () => number): Float64Array {
  const q = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const v = Array.from({ length: d }, () => gaussian(rand));
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += v[k] * q[j * d + k];
      for (let k = 0; k < d; k++) v[k] -= dot * q[j * d + k];
    }
    const norm = Math.hypot(...v);
    for (let k = 0; k < d; k++) q[i * d + k] = v[k] / norm;
  }
  return q;
}

/** X clustered by identity; Y = X·R (+ noise), both L2-normalised. */
function rotated(ids: number, per: number, d: number, noise: number, seed: number) {
  const rand = mulberry32(seed);
  const R = rotation(d, rand);
  const n = ids * per,
    x = new Float32Array(n * d),
    y = new Float32Array(n * d);
  const items: FeatureItem[] = [];
  for (let id = 0; id < ids; id++) {
    const c = Array.from({ length: d }, () => gaussian(rand));
    for (let k = 0; k < per; k++) {
      const r = id * per + k;
      for (let j = 0; j < d; j++) x[r * d + j] = c[j] + 0.5 * gaussian(rand);
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += x[r * d + i] * R[i * d + j];
        y[r * d + j] = s + noise * gaussian(rand);
      }
      items.push({ path: `p${id}/${k}.png`, identity: `p${id}` });
    }
  }
  return { n, d, R, items, x: l2NormalizeRows(x, d), y: l2NormalizeRows(y, d) };
}

test('Procrustes recovers a pure rotation exactly', () => {
  const s = rotated(20, 4, 16, 0, 1);
  const sol = fitProcrustes(s.x, s.y, s.n, 16, 16);
  let worst = 0;
  for (let i = 0; i < 16 * 16; i++) worst = Math.max(worst, Math.abs(sol.weights[i] - s.R[i]));
  assert.ok(worst < 1e-3, `max |W − R| = ${worst}`);
  assert.ok(sol.bias.every((b) => Math.abs(b) < 1e-3));
});

test('Procrustes with ds < dt maps into the target space (thin SVD), finite and of the right shape', () => {
  const s = rotated(20, 4, 16, 0, 2);
  const x8 = Float32Array.from({ length: s.n * 8 }, (_, i) => s.x[Math.floor(i / 8) * 16 + (i % 8)]);
  const sol = fitProcrustes(x8, s.y, s.n, 8, 16);
  assert.equal(sol.weights.length, 8 * 16);
  assert.ok(sol.weights.every(Number.isFinite));
});

test('--arch auto compares ridge, Procrustes and FC on validation and keeps Procrustes on a noisy rotation', async () => {
  await useWasm();
  const dir = tmpDir();
  // few pairs per dimension and noisy targets: ridge and FC fit the noise, the rotation does not
  const s = rotated(30, 3, 48, 0.6, 3);
  const pre = { note: 'synthetic rotation' };
  writeFeatureSet(path.join(dir, 's'), {
    model: { id: 'syn/s', dim: s.d, normalization: 'l2', preprocessing: pre },
    items: s.items,
    features: s.x,
  });
  writeFeatureSet(path.join(dir, 't'), {
    model: { id: 'syn/t', dim: s.d, normalization: 'l2', preprocessing: pre },
    items: s.items,
    features: s.y,
  });
  const out = path.join(dir, 'auto');
  const r = await trainMapper({
    source: path.join(dir, 's'),
    target: path.join(dir, 't'),
    out,
    config: makeConfig('auto', { epochs: 5, batchSize: 16, microBatch: 16, valFraction: 0.3 }),
    backend: 'test',
  });
  const sel = r.manifest.selection!;
  assert.deepEqual(
    sel.candidates.map((c) => c.label),
    ['linear', 'procrustes', 'fc'],
    'the R³AN family only with a time budget',
  );
  assert.equal(sel.chosen, 'procrustes', JSON.stringify(sel.candidates.map((c) => [c.label, c.val?.top1, c.val?.centredCosine])));
  assert.equal(r.manifest.arch, 'procrustes');
  // the exported mapping is the chosen candidate's
  const top = await loadMapper(out),
    cand = await loadMapper(path.join(out, 'candidates', 'procrustes'));
  const a = predictRows(top.mapping, s.x, s.d),
    b = predictRows(cand.mapping, s.x, s.d);
  assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-6));

  // given finished candidates (an experiment's other columns), auto compares them instead of training again
  const again = path.join(dir, 'auto-given');
  const given = { linear: path.join(out, 'candidates', 'linear'), procrustes: path.join(out, 'candidates', 'procrustes') };
  const r2 = await trainMapper({
    source: path.join(dir, 's'),
    target: path.join(dir, 't'),
    out: again,
    config: makeConfig('auto', { epochs: 5, batchSize: 16, microBatch: 16, valFraction: 0.3 }),
    backend: 'test',
    candidates: given,
  });
  assert.equal(r2.manifest.selection!.chosen, 'procrustes');
  assert.ok(!fs.existsSync(path.join(again, 'candidates', 'procrustes')), 'a given candidate is not trained again');
  assert.ok(fs.existsSync(path.join(again, 'candidates', 'fc')), 'families not given are trained');
});

test('R³AN-res starts exactly at its frozen ridge base (zero-initialised head)', async () => {
  await useWasm();
  const { GanTrainer } = await import('../../src/train/trainers.js');
  const { featureStats } = await import('../../src/nn/standardise.js');
  const { fitRidge, ridgeModel } = await import('../../src/nn/linear.js');
  const s = rotated(10, 3, 16, 0.3, 5);
  const base = ridgeModel(fitRidge(s.x, s.y, s.n, 16, 16, 1e-3));
  const fitted = predictRows(base, s.x, 16);
  const residual = Float32Array.from(s.y, (v, i) => v - fitted[i]);
  const trainer = new GanTrainer(
    makeConfig('r3an-res'),
    16,
    16,
    {},
    { x: featureStats(s.x, s.n, 16), y: featureStats(residual, s.n, 16), base },
  );
  const a = predictRows(trainer.mapping(), s.x, 16);
  const mean = featureStats(residual, s.n, 16).mean;
  assert.ok(
    a.every((v, i) => Math.abs(v - fitted[i] - mean[i % 16]) < 1e-5),
    'base(X) + mean residual at the start',
  );
  await trainer.dispose();
});
