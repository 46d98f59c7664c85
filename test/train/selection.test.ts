// Model selection rewards identity, not the mean: held-out top-1 first, then the centred cosine (raw
// cosine is what the mean predictor maximises); and a standardised R³AN beats the mean predictor on
// identities it never saw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isBetter, validate } from '../../src/train/validation.js';
import { makeConfig } from '../../src/train/config.js';
import { trainMapper } from '../../src/train/train-mapper.js';
import { featureStats } from '../../src/nn/standardise.js';
import { makeSynthetic, writeSyntheticPair } from '../helpers/synthetic.js';
import { onnxRuntimeOrSkip, useWasm } from '../helpers/backend.js';
import { tmpDir } from '../helpers/tmp.js';
import type { PairedData } from '../../src/train/paired-data.js';

test('isBetter: top-1 decides; on a tie the centred cosine, not the raw cosine the mean predictor wins', () => {
  const meanLike = { cosine: 0.8, centredCosine: 0.0, top1: 0.5 },
    informative = { cosine: 0.6, centredCosine: 0.4, top1: 0.5 };
  assert.ok(isBetter(informative, meanLike) && !isBetter(meanLike, informative));
  assert.ok(isBetter({ cosine: 0.1, centredCosine: 0.1, top1: 0.6 }, informative), 'a higher top-1 wins whatever the cosines');
  assert.ok(isBetter({ cosine: 0.7 }, { cosine: 0.6 }), 'without identities, raw cosine decides');
});

test('validate: the mean predictor scores a high raw cosine but a centred cosine of 0', async () => {
  await useWasm();
  const s = makeSynthetic({ identities: 10, perIdentity: 3, ds: 8, dt: 8 });
  const val: PairedData = {
    n: s.n,
    ds: 8,
    dt: 8,
    x: s.x,
    y: s.y,
    identities: s.items.map((i) => i.identity),
    paths: s.items.map((i) => i.path),
  };
  const mean = featureStats(s.y, s.n, 8).mean;
  // a "mapping" that always outputs the mean: zero kernel, bias = mean
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [8], units: 8, kernelInitializer: 'zeros', biasInitializer: tf.initializers.constant({ value: 0 }) }),
    ],
  });
  m.layers[0].setWeights([tf.zeros([8, 8]), tf.tensor1d(mean)]);
  const v = validate(m, val, { targetMean: mean });
  assert.ok(Math.abs(v.cosine - v.meanCosine!) < 1e-5, `mapping = mean predictor: ${v.cosine} vs ${v.meanCosine}`);
  assert.ok(Math.abs(v.centredCosine!) < 1e-3, `centred cosine ${v.centredCosine}`);
});

test('a small standardised R³AN run beats the mean predictor on held-out identities', { timeout: 600_000 }, async (t) => {
  const ort = await onnxRuntimeOrSkip(t, 'onnxruntime-node is not installed (the TF.js path is too slow for this in a test)');
  if (!ort) return;
  await useWasm();
  const dir = tmpDir();
  const { source, target } = writeSyntheticPair(dir, { identities: 40, perIdentity: 5, ds: 24, dt: 24, latent: 6, noise: 0.2 });
  const r = await trainMapper({
    source,
    target,
    out: path.join(dir, 'm'),
    config: makeConfig('r3an', { epochs: 12, batchSize: 16, microBatch: 16, valFraction: 0.3 }),
    backend: 'test',
    runtime: { ort, threads: 1 },
  });
  const v = r.best!.val;
  console.log(
    `held-out: top1 ${v.top1} (mean predictor ${v.meanTop1}), centred cosine ${v.centredCosine}, cosine ${v.cosine} (mean predictor ${v.meanCosine})`,
  );
  assert.ok(v.top1! > v.meanTop1! + 0.2, `top1 ${v.top1} vs mean predictor ${v.meanTop1}`);
  assert.ok(v.centredCosine! > 0.2, `centred cosine ${v.centredCosine}`);
});
