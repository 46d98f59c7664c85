// TF.js graph models converted to ONNX (src/onnx/graph-model.ts) give TF.js's numbers on onnxruntime:
// the zoo's own networks on random images, and a clear error for an op the converter does not know.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileHandler } from '../../src/io/model-files.js';
import { graphModelToOnnx } from '../../src/onnx/graph-model.js';
import { loadOnnxNetwork } from '../../src/faces/onnx-network.js';
import { humanModelsDir } from '../../src/faces/human-runtime.js';
import { loadOnnxRuntime } from '../../src/backend/onnxruntime.js';
import { mulberry32 } from '../../src/core/rng.js';
import { useWasm } from '../helpers/backend.js';

const ort = await loadOnnxRuntime();

for (const model of ['faceres', 'mobileface']) {
  test(
    `${model}: the ONNX conversion matches TF.js on a batch of random images`,
    { skip: !ort && 'onnxruntime-node missing' },
    async () => {
      await useWasm();
      const file = path.join(humanModelsDir(), `${model}.json`);
      const net = await loadOnnxNetwork(ort!, file, 1);
      const ref = await tf.loadGraphModel(fileHandler(file));
      const [, h, w, c] = net.inputShape;
      const b = 3;
      const rand = mulberry32(7);
      const x = Float32Array.from({ length: b * h * w * c }, () => rand() * 255);
      const expected = tf.tidy(() => {
        const o = ref.execute(tf.tensor4d(x, [b, h, w, c]));
        return (Array.isArray(o) ? o : [o]).map((t) => t.dataSync() as Float32Array);
      });
      const got = await net.run(x, b);
      assert.equal(got.length, expected.length, 'one output per signature output');
      got.forEach((g, k) => {
        assert.equal(g.length, expected[k].length, `output ${k} size`);
        let diff = 0,
          scale = 0;
        for (let i = 0; i < g.length; i++) {
          diff = Math.max(diff, Math.abs(g[i] - expected[k][i]));
          scale = Math.max(scale, Math.abs(expected[k][i]));
        }
        assert.ok(scale > 0 && diff <= 1e-4 * scale, `output ${k}: max |onnx − tfjs| ${diff} of max |tfjs| ${scale}`);
      });
    },
  );
}

test('an op the converter does not know fails naming the op and the node', () => {
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '-1' }, { size: '4' }, { size: '4' }, { size: '3' }] } } } },
      { name: 'odd', op: 'Cumprod', input: ['x'] },
    ],
  };
  assert.throws(() => graphModelToOnnx(topology, {}), /Cumprod node "odd": this op is not supported/);
});
