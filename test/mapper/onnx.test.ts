// The onnxruntime fast path for `map` gives the TF.js reference's numbers, for every kind of mapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildExtractor } from '../../src/nn/extractor.js';
import { buildGenerator } from '../../src/nn/generator.js';
import { seedStream } from '../../src/nn/init.js';
import { buildMlp } from '../../src/nn/mlp.js';
import { composeMapping, type MappingStats } from '../../src/nn/mapping.js';
import { featureStats } from '../../src/nn/standardise.js';
import { fitRidge, ridgeModel } from '../../src/nn/linear.js';
import { fitProcrustes } from '../../src/nn/procrustes.js';
import { withOutputGain } from '../../src/nn/output-gain.js';
import { loadLayersModelFromDir, saveLayersModel } from '../../src/io/model-files.js';
import { createMappingRunner } from '../../src/mapper/onnx-runtime.js';
import { loadOnnxRuntime } from '../../src/backend/onnxruntime.js';
import { useWasm } from '../helpers/backend.js';
import { tmpDir } from '../helpers/tmp.js';

const ds = 48,
  dt = 40,
  n = 37;

/** Random but non-trivial batch-norm statistics, so inference-mode BN is really exercised. */
function randomiseBatchNorm(model: tf.LayersModel): void {
  const visit = (layers: tf.layers.Layer[]) => {
    for (const l of layers) {
      const inner = (l as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (inner) visit(inner);
      if (l.getClassName() === 'BatchNormalization') {
        l.setWeights(
          l
            .getWeights()
            .map((w, i) =>
              i === 3 ? tf.randomUniform(w.shape, 0.5, 2, 'float32', 10 + i) : tf.randomNormal(w.shape, 0, 0.3, 'float32', 20 + i),
            ),
        );
      }
    }
  };
  visit(model.layers);
}

/** Standardisation statistics far from (0, 1), so the frozen layers are really exercised. */
function randomStats(): MappingStats {
  const x = tf.randomNormal([64, ds], 0.3, 0.05, 'float32', 30).dataSync() as Float32Array;
  const y = tf.randomNormal([64, dt], -0.2, 0.02, 'float32', 31).dataSync() as Float32Array;
  return { x: featureStats(x, 64, ds), y: featureStats(y, 64, dt) };
}

const builders: Record<string, () => tf.LayersModel> = {
  linear: () => {
    const x = tf.randomNormal([200, ds], 0, 1, 'float32', 1).dataSync() as Float32Array,
      y = tf.randomNormal([200, dt], 0, 1, 'float32', 2).dataSync() as Float32Array;
    return ridgeModel(fitRidge(x, y, 200, ds, dt));
  },
  procrustes: () => {
    const x = tf.randomNormal([200, ds], 0, 1, 'float32', 3).dataSync() as Float32Array,
      y = tf.randomNormal([200, dt], 0, 1, 'float32', 4).dataSync() as Float32Array;
    return ridgeModel(fitProcrustes(x, y, 200, ds, dt));
  },
  fc: () => {
    const mlp = buildMlp(ds, dt, [64, 32], seedStream(3));
    randomiseBatchNorm(mlp);
    return composeMapping([mlp], randomStats(), 'fc_mapping');
  },
  'r3an-res': () => {
    const x = tf.randomNormal([200, ds], 0, 1, 'float32', 6).dataSync() as Float32Array,
      y = tf.randomNormal([200, dt], 0, 1, 'float32', 7).dataSync() as Float32Array;
    const s = seedStream(8);
    const inner = [buildGenerator(ds, s), buildExtractor(dt, s)];
    inner.forEach(randomiseBatchNorm);
    return composeMapping(inner, { ...randomStats(), base: ridgeModel(fitRidge(x, y, 200, ds, dt)) });
  },
  'procrustes with output gain': () => {
    const x = tf.randomNormal([200, ds], 0, 1, 'float32', 9).dataSync() as Float32Array,
      y = tf.randomNormal([200, dt], 0.4, 1, 'float32', 10).dataSync() as Float32Array;
    return withOutputGain(ridgeModel(fitProcrustes(x, y, 200, ds, dt)), featureStats(y, 200, dt).mean, 3);
  },
  r3an: () => {
    const s = seedStream(4);
    const inner = [buildGenerator(ds, s), buildExtractor(dt, s)];
    inner.forEach(randomiseBatchNorm);
    return composeMapping(inner, randomStats());
  },
};

for (const [kind, build] of Object.entries(builders)) {
  test(`onnxruntime maps like TF.js: ${kind} (saved and reloaded mapping)`, async (t) => {
    if (!(await loadOnnxRuntime())) {
      t.skip('onnxruntime-node is not installed');
      return;
    }
    await useWasm();
    const dir = path.join(tmpDir(), kind);
    await saveLayersModel(build(), dir);
    const mapping = await loadLayersModelFromDir(dir);
    const x = tf.randomNormal([n, ds], 0, 1, 'float32', 5).dataSync() as Float32Array;
    const ref = await (await createMappingRunner(mapping, 'tfjs')).run(x, ds, dt, false);
    const onnx = await createMappingRunner(mapping, 'onnx', 1);
    assert.equal(onnx.runtime, 'onnxruntime');
    const got = await onnx.run(x, ds, dt, false);
    await onnx.dispose();
    let maxDiff = 0,
      scale = 0;
    for (let i = 0; i < ref.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
      scale = Math.max(scale, Math.abs(ref[i]));
    }
    assert.ok(scale > 1e-3, 'the mapping produces non-trivial output');
    assert.ok(maxDiff <= 1e-4 * Math.max(1, scale), `max |onnx − tfjs| = ${maxDiff} (output scale ${scale})`);
    mapping.dispose();
  });
}

test('--runtime onnx fails clearly when onnxruntime is missing; auto falls back to TF.js', async (t) => {
  if (await loadOnnxRuntime()) {
    t.skip('onnxruntime-node is installed here');
    return;
  }
  await useWasm();
  const m = buildMlp(ds, dt, [8], seedStream(1));
  await assert.rejects(createMappingRunner(m, 'onnx'), /onnxruntime-node is not installed/);
  assert.equal((await createMappingRunner(m, 'auto')).runtime, 'tfjs');
});
