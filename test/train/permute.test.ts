// The axis permutation the runner applies to convolution kernels and their gradients, against TF.js's transpose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { inversePerm, permute, permutedShape } from '../../src/train/onnx/permute.js';

test('permute equals tf.transpose for the kernel layouts and others, and inversePerm undoes it', () => {
  const cases: [number[], number[][]][] = [
    [[4, 4, 8, 6], [[3, 2, 0, 1], [2, 3, 0, 1], [0, 2, 1, 3], [1, 0, 3, 2], [3, 1, 2, 0]]],
    [[3, 3, 5, 1], [[2, 3, 0, 1], [3, 2, 0, 1]]],
    [[2, 3, 4], [[2, 0, 1], [1, 2, 0], [0, 2, 1]]],
    [[5, 7], [[1, 0]]],
  ];
  for (const [shape, perms] of cases) {
    const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i);
    for (const perm of perms) {
      const y = permute(x, shape, perm);
      assert.deepEqual(Array.from(y), Array.from(tf.transpose(tf.tensor(x, shape), perm).dataSync()), `${shape} by ${perm}`);
      assert.deepEqual(permute(y, permutedShape(shape, perm), inversePerm(perm)), x, `${shape} by ${perm} and back`);
    }
  }
  assert.throws(() => permute(new Float32Array(6), [2, 3], [0, 0]), /not a permutation/);
  assert.throws(() => permute(new Float32Array(5), [2, 3], [1, 0]), /5 values/);
});
