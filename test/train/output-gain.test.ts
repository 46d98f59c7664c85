// The output gain μ + g·(Ŷ − μ): the exported layer computes exactly that, validation with distractors
// picks g > 1 where a shrunk mapping lets typical gallery features outrank the mate, and g = 1 where
// the mapping is already exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { applyGainRows, withOutputGain } from '../../src/nn/output-gain.js';
import { quickTop1, validate } from '../../src/train/validation.js';
import { predictRows } from '../../src/nn/predict.js';
import { mulberry32 } from '../../src/core/rng.js';
import { useWasm } from '../helpers/backend.js';
import type { PairedData } from '../../src/train/paired-data.js';

const d = 16;

/** Rows μ + identity part + noise, the identity parts of varied size (some people "typical"). */
function faces(ids: number, per: number, seed: number) {
  const rand = mulberry32(seed),
    gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const mean = Float32Array.from({ length: d }, (_, j) => (j === 0 ? 3 : 0));
  const y = new Float32Array(ids * per * d),
    identities: string[] = [];
  for (let p = 0; p < ids; p++) {
    const c = Array.from({ length: d }, () => gauss()),
      size = 0.3 + 1.5 * rand();
    for (let k = 0; k < per; k++) {
      const r = p * per + k;
      identities.push(`id${p}`);
      for (let j = 0; j < d; j++) y[r * d + j] = mean[j] + size * c[j] + 0.2 * gauss();
    }
  }
  return { y, identities, mean };
}

test('withOutputGain computes μ + g·(Ŷ − μ) and leaves gain 1 alone', async () => {
  await useWasm();
  const inner = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [d], units: d, kernelInitializer: 'glorotNormal', biasInitializer: 'ones' })],
  });
  const mean = Float32Array.from({ length: d }, (_, j) => j / d);
  assert.equal(withOutputGain(inner, mean, 1), inner);
  const x = Float32Array.from({ length: 5 * d }, (_, i) => Math.sin(i));
  const want = applyGainRows(predictRows(inner, x, d), mean, 2.5);
  const got = predictRows(withOutputGain(inner, mean, 2.5), x, d);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `row value ${i}: ${got[i]} vs ${want[i]}`);
});

test('quickTop1: a distractor closer than the mate turns a hit into a miss', () => {
  const t = Float32Array.from([1, 0, 1, 0.1, 0, 1]),
    ids = ['a', 'a', 'b'];
  assert.equal(quickTop1(t, t, 2, ids)!.top1, 1, 'the two images of a find each other');
  assert.equal(quickTop1(t, t, 2, ids, Float32Array.from([1, 0.05]))!.top1, 0);
});

/** Validation pairs whose source and target are the same features. */
function selfPairs(y: Float32Array, identities: string[]): PairedData {
  return { n: identities.length, ds: d, dt: d, x: y, y, identities, paths: identities.map((id, i) => `${id}/${i}`) };
}

/** The exact mapping: a d×d identity matrix. */
function identityMap(): tf.LayersModel {
  return tf.sequential({ layers: [tf.layers.dense({ inputShape: [d], units: d, useBias: false, kernelInitializer: 'identity' })] });
}

test('validation picks a gain > 1 for a shrunk mapping (and it scores better) and 1 for an exact one', async () => {
  await useWasm();
  const v = faces(30, 3, 1),
    dist = faces(200, 1, 2);
  const val = selfPairs(v.y, v.identities);
  const identity = identityMap();
  // shrunk toward the mean by 0.2, as a regression toward a dominant common direction does
  const shrunk = withOutputGain(identity, v.mean, 0.2);
  const ctx = { targetMean: v.mean, distractors: dist.y };
  const plain = validate(shrunk, val, { ...ctx, gains: [1] }),
    gained = validate(shrunk, val, { ...ctx, gains: [1, 2, 5, 10] });
  assert.ok((gained.gain ?? 1) > 1, `chosen gain ${gained.gain}`);
  assert.ok(gained.top1! > plain.top1!, `top-1 ${gained.top1} at gain ${gained.gain} vs ${plain.top1} at 1`);
  assert.ok(Math.abs(gained.centredCosine! - plain.centredCosine!) < 1e-5, 'a gain does not change the centred cosine');
  const exact = validate(identity, val, { ...ctx, gains: [1, 2, 5, 10] });
  assert.equal(exact.gain ?? 1, 1, 'an exact mapping keeps gain 1');
});

test('without identification probes (label-free validation) the gain stays 1', async () => {
  await useWasm();
  const v = faces(10, 2, 3);
  const val = selfPairs(
    v.y,
    v.identities.map(() => ''),
  );
  const r = validate(withOutputGain(identityMap(), v.mean, 0.2), val, { targetMean: v.mean, gains: [1, 2, 5, 10] });
  assert.equal(r.top1, undefined);
  assert.equal(r.gain ?? 1, 1);
});
