// Every layer's output size against the paper's architecture table, and parameter counts against
// hand-derived formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildGenerator } from '../../src/nn/generator.js';
import { buildDiscriminator } from '../../src/nn/discriminator.js';
import { buildExtractor } from '../../src/nn/extractor.js';
import { buildMlp } from '../../src/nn/mlp.js';
import { seedStream } from '../../src/nn/init.js';
import { useWasm } from '../helpers/backend.js';

const shapeOf = (m: tf.LayersModel, name: string) => (m.getLayer(name).outputShape as number[]).slice(1);

test('generator: 512×4×4 → 128×7×7 → 32×14×14 → 8×28×28 → 3×56×56, any source dim', async () => {
  await useWasm();
  for (const ds of [128, 256, 1024]) {
    const g = buildGenerator(ds, seedStream(1));
    assert.deepEqual(shapeOf(g, 'g_fconv1'), [4, 4, 512]);
    assert.deepEqual(shapeOf(g, 'g_fconv2'), [7, 7, 128]);
    assert.deepEqual(shapeOf(g, 'g_fconv3'), [14, 14, 32]);
    assert.deepEqual(shapeOf(g, 'g_fconv4'), [28, 28, 8]);
    assert.deepEqual(shapeOf(g, 'g_fconv5'), [56, 56, 3]);
    // convT weights k²·cin·cout, BN 4 per channel (γ, β, moving mean, moving variance), bias on the last layer only
    const expected = 16 * ds * 512 + 4 * 512 + 16 * 512 * 128 + 4 * 128 + 16 * 128 * 32 + 4 * 32 + 16 * 32 * 8 + 4 * 8 + 16 * 8 * 3 + 3;
    assert.equal(g.countParams(), expected);
    const out = g.predict(tf.randomNormal([2, ds])) as tf.Tensor;
    assert.deepEqual(out.shape, [2, 56, 56, 3]);
    const v = out.dataSync();
    assert.ok(
      v.every((x) => x >= -1 && x <= 1),
      'tanh output stays in [-1, 1]',
    );
    g.dispose();
  }
});

test('discriminator: 4×28×28 → 8×14×14 → 16×7×7 → 32×4×4 → 64×2×2 → 128×1×1 → 1', async () => {
  await useWasm();
  const d = buildDiscriminator(seedStream(1));
  const want = [
    [28, 28, 4],
    [14, 14, 8],
    [7, 7, 16],
    [4, 4, 32],
    [2, 2, 64],
    [1, 1, 128],
  ];
  want.forEach((w, i) => assert.deepEqual(shapeOf(d, `d_conv${i + 1}`), w));
  assert.deepEqual(shapeOf(d, 'd_fc'), [1]);
  const expected =
    16 * 3 * 4 + 4 + (16 * 4 * 8 + 8) + (16 * 8 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 64 + 64) + (9 * 64 * 128 + 128) + (128 + 1);
  assert.equal(d.countParams(), expected);
  d.dispose();
});

test('extractor: MobileNetV2 bottlenecks 32×28×28, 64×14×14, 96×14×14, 160×7×7, 320×7×7, 1280×7×7, pool, FC dt', async () => {
  await useWasm();
  for (const dt of [128, 512]) {
    const e = buildExtractor(dt, seedStream(1));
    const want = [
      [28, 28, 32],
      [14, 14, 64],
      [14, 14, 96],
      [7, 7, 160],
      [7, 7, 320],
    ];
    want.forEach((w, i) => assert.deepEqual(shapeOf(e, `e_conv${i + 1}_project_bn`), w));
    assert.deepEqual(shapeOf(e, 'e_conv6'), [7, 7, 1280]);
    assert.deepEqual(shapeOf(e, 'e_pool'), [1280]);
    assert.deepEqual(shapeOf(e, 'e_fc'), [dt]);
    // inverted residual with expansion 6: expand 1×1, depthwise 3×3, project 1×1, each followed by BN (4/channel)
    const chans = [3, 32, 64, 96, 160, 320];
    let expected = 0;
    for (let i = 0; i < 5; i++) {
      const cin = chans[i],
        cout = chans[i + 1],
        h = 6 * cin;
      expected += cin * h + 4 * h + 9 * h + 4 * h + h * cout + 4 * cout;
    }
    expected += 320 * 1280 + 4 * 1280 + 1280 * dt + dt;
    assert.equal(e.countParams(), expected);
    e.dispose();
  }
});

test('MLP baseline maps ds → dt through the hidden layers', async () => {
  await useWasm();
  const m = buildMlp(128, 256, [64, 32], seedStream(3));
  // hidden Dense layers without bias, each followed by batch norm (γ, β, moving mean and variance)
  assert.equal(m.countParams(), 128 * 64 + 4 * 64 + 64 * 32 + 4 * 32 + 32 * 256 + 256);
  assert.deepEqual((m.predict(tf.zeros([3, 128])) as tf.Tensor).shape, [3, 256]);
});

test('a seed fixes the initial weights; another seed changes them', async () => {
  await useWasm();
  const w = (seed: number) => buildGenerator(64, seedStream(seed)).getWeights()[0].dataSync().slice(0, 50);
  assert.deepEqual(w(5), w(5));
  assert.notDeepEqual(w(5), w(6));
});
