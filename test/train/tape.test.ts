// How the tape writes its graph outputs: a computed value becomes its node's output (no Identity copy),
// and what cannot be renamed (a graph input, an initializer, a value output twice) still comes out.
import { test } from 'node:test';
import { onnxRuntimeOrSkip } from '../helpers/backend.js';
import assert from 'node:assert/strict';
import { encodeOnnxModel } from '../../src/onnx/proto.js';
import { Tape } from '../../src/onnx/tape.js';

test('graph outputs: computed values renamed in place, inputs, initializers and repeats through Identity', async (t) => {
  const ort = await onnxRuntimeOrSkip(t);
  if (!ort) return;
  const tape = new Tape();
  const x = tape.input('x', [3]);
  const doubled = tape.op('Add', [x, x], [3]);
  const plusOne = tape.op('Add', [doubled, tape.scalar(1)], [3]); // consumes `doubled`, which is also an output
  tape.output(doubled, 'doubled');
  tape.output(plusOne, 'plus_one');
  tape.output(doubled, 'doubled_again');
  tape.output(x, 'x_out');
  tape.output(tape.floats('c', [2], [7, 8]), 'constant');
  const g = tape.graph('outputs');
  assert.deepEqual(
    g.nodes
      .filter((n) => n.op === 'Identity')
      .map((n) => n.outputs[0])
      .sort(),
    ['constant', 'doubled_again', 'x_out'],
  );
  assert.ok(g.nodes.some((n) => n.op === 'Add' && n.outputs[0] === 'doubled' && !n.inputs.includes('doubled')));
  assert.ok(g.nodes.some((n) => n.op === 'Add' && n.inputs[0] === 'doubled' && n.outputs[0] === 'plus_one'));
  const session = await ort.InferenceSession.create(encodeOnnxModel(g));
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [3]) });
  assert.deepEqual(Array.from(out.doubled.data as Float32Array), [2, 4, 6]);
  assert.deepEqual(Array.from(out.plus_one.data as Float32Array), [3, 5, 7]);
  assert.deepEqual(Array.from(out.doubled_again.data as Float32Array), [2, 4, 6]);
  assert.deepEqual(Array.from(out.x_out.data as Float32Array), [1, 2, 3]);
  assert.deepEqual(Array.from(out.constant.data as Float32Array), [7, 8]);
  await session.release();
});
