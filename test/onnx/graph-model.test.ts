// TF.js graph models converted to ONNX (src/onnx/graph-model.ts) and executed on onnxruntime in place
// of TF.js (src/faces/onnx-graph-executor.ts) give TF.js's numbers: the zoo's networks (Human's
// detector, mesh and description models, MobileFace, MobileFaceNet) on random images, outputs by default and by name;
// and a clear error for an op the converter does not know.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { fileHandler } from '../../src/io/model-files.js';
import { graphModelToOnnx } from '../../src/onnx/graph-model.js';
import { executeOnOnnx, type ExecutableGraph } from '../../src/faces/onnx-graph-executor.js';
import { humanModelsDir } from '../../src/faces/human-runtime.js';
import { loadOnnxRuntime } from '../../src/backend/onnxruntime.js';
import { mulberry32 } from '../../src/core/rng.js';
import { useWasm } from '../helpers/backend.js';

const ort = await loadOnnxRuntime();

/** The largest difference per output over its tolerance (1e-5 + 1e-4 × the output's largest value): ≤ 1 passes. */
function worstDiff(got: tf.Tensor[], expected: tf.Tensor[]): number {
  assert.equal(got.length, expected.length, 'as many outputs');
  let worst = 0;
  got.forEach((g, k) => {
    assert.deepEqual(g.shape, expected[k].shape, `output ${k} shape`);
    const a = g.dataSync(),
      b = expected[k].dataSync();
    let diff = 0,
      scale = 0;
    for (let i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    worst = Math.max(worst, diff / (1e-5 + 1e-4 * scale));
  });
  return worst;
}

for (const model of ['blazeface', 'facemesh', 'faceres', 'mobileface', 'mobilefacenet']) {
  test(`${model}: executed on onnxruntime it matches TF.js on random images`, { skip: !ort && 'onnxruntime-node missing' }, async () => {
    await useWasm();
    const file = path.join(humanModelsDir(), `${model}.json`);
    const ref = await tf.loadGraphModel(fileHandler(file));
    const g = ref as unknown as ExecutableGraph;
    const onnx: ExecutableGraph = {
      modelUrl: pathToFileURL(file).href,
      outputNodes: g.outputNodes,
      signature: g.signature,
      execute: ref.execute.bind(ref),
    };
    assert.equal(await executeOnOnnx(onnx, ort!, { threads: 1 }), null, 'converted');
    const shape = (ref.inputs[0].shape ?? []).map((d) => (d > 0 ? d : 1));
    const rand = mulberry32(7);
    const x = tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1),
      shape,
    );
    const list = (t: tf.Tensor | tf.Tensor[]) => (Array.isArray(t) ? t : [t]);
    const d = worstDiff(list(onnx.execute(x)), list(ref.execute(x)));
    assert.ok(d <= 1, `default outputs: difference ${d}× the tolerance`);
    const last = g.outputNodes[g.outputNodes.length - 1];
    const byName = worstDiff(list(onnx.execute(x, [last])), list(ref.execute(x, [last])));
    assert.ok(byName <= 1, `output ${last} by name: difference ${byName}× the tolerance`);
  });
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
