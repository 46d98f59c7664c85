// r3an's wasm kernels against the pure-JS `cpu` backend (the reference), forward and backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/backend.js';
import { mulberry32 } from '../../src/core/rng.js';

function values(shape: number[], seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
}

/** Runs f on both backends with the same inputs; returns the largest absolute difference per output. */
async function compare(shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor[], fast: boolean): Promise<number[]> {
  const inputs = shapes.map((s, i) => values(s, 11 + i));
  const run = async (backend: 'cpu' | 'wasm') => {
    await initBackend({ backend, threads: 1, fastKernels: fast });
    return tf
      .tidy(() => f(...inputs.map((v, i) => tf.tensor(v, shapes[i]))))
      .map((t) => {
        const d = t.dataSync();
        t.dispose();
        return d;
      });
  };
  const ref = await run('cpu');
  const got = await run('wasm');
  return ref.map((r, k) => {
    let m = 0;
    for (let i = 0; i < r.length; i++) m = Math.max(m, Math.abs(r[i] - got[k][i]) / Math.max(1, Math.abs(r[i])));
    return m;
  });
}

const TOL = 1e-4;

const convCases: { x: number[]; f: number[]; s: number; pad: 'same' | 'valid' }[] = [
  { x: [2, 9, 9, 3], f: [3, 3, 3, 5], s: 1, pad: 'same' },
  { x: [2, 10, 10, 4], f: [4, 4, 4, 6], s: 2, pad: 'same' },
  { x: [2, 7, 7, 4], f: [3, 3, 4, 8], s: 2, pad: 'same' },
  { x: [1, 8, 8, 6], f: [1, 1, 6, 12], s: 1, pad: 'valid' },
  { x: [2, 7, 7, 12], f: [1, 1, 12, 3], s: 1, pad: 'valid' },
  { x: [2, 4, 4, 8], f: [4, 4, 8, 2], s: 1, pad: 'valid' },
  // input gradient by col2im with more rows than columns (the untransposed matmul)
  { x: [4, 5, 5, 2], f: [2, 2, 2, 3], s: 2, pad: 'valid' },
];

for (const fast of [false, true]) {
  test(`conv2d gradients (filter and input) match cpu [${fast ? 'fast' : 'reference'} kernels]`, async () => {
    for (const c of convCases) {
      const diffs = await compare(
        [c.x, c.f],
        (x, w) => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad))));
          return g([x, w]);
        },
        fast,
      );
      for (const d of diffs) assert.ok(d < TOL, `conv2d ${JSON.stringify(c)}: max rel diff ${d}`);
    }
  });

  test(`conv2dTranspose forward and gradients match cpu [${fast ? 'fast' : 'reference'} kernels]`, async () => {
    // the generator's five layers at small channel counts: 1→4 (k4 valid), 4→7 (k4 valid), 7→14 (k4 s2 same)
    const cases: { x: number[]; f: number[]; out: number[]; s: number; pad: 'same' | 'valid' }[] = [
      { x: [2, 1, 1, 6], f: [4, 4, 5, 6], out: [2, 4, 4, 5], s: 1, pad: 'valid' },
      { x: [2, 4, 4, 6], f: [4, 4, 3, 6], out: [2, 7, 7, 3], s: 1, pad: 'valid' },
      { x: [2, 7, 7, 4], f: [4, 4, 3, 4], out: [2, 14, 14, 3], s: 2, pad: 'same' },
    ];
    for (const c of cases) {
      const diffs = await compare(
        [c.x, c.f],
        (x, w) => {
          const fwd = (a: tf.Tensor, b: tf.Tensor) =>
            tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, c.out as [number, number, number, number], c.s, c.pad);
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(fwd(a, b))));
          return [fwd(x, w), ...g([x, w])];
        },
        fast,
      );
      for (const d of diffs) assert.ok(d < TOL, `conv2dTranspose ${JSON.stringify(c)}: max rel diff ${d}`);
    }
  });

  test(`depthwise conv gradients match cpu [${fast ? 'fast' : 'reference'} kernels]`, async () => {
    for (const c of [
      { x: [2, 9, 9, 6], s: 1 },
      { x: [2, 10, 10, 5], s: 2 },
      { x: [1, 7, 7, 4], s: 2 },
    ]) {
      const diffs = await compare(
        [c.x, [3, 3, c.x[3], 1]],
        (x, w) => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, 'same'))),
          );
          return g([x, w]);
        },
        fast,
      );
      for (const d of diffs) assert.ok(d < TOL, `depthwise ${JSON.stringify(c)}: max rel diff ${d}`);
    }
  });
}

test('ReLU6 (clipByValue) gradient, fused on wasm, matches cpu', async () => {
  for (const fast of [true, false]) {
    const diffs = await compare(
      [[2, 5, 5, 7]],
      (x) => {
        const y = tf.mul(x, 8); // spread values over [-8, 8] so both clip bounds are crossed
        return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(a, 0, 6), tf.add(a, 1))))(y)];
      },
      fast,
    );
    for (const d of diffs) assert.ok(d < TOL, `clip gradient [${fast ? 'fast' : 'reference'}]: max rel diff ${d}`);
  }
});

test('fast replacements (transposed matmul, tile, leading-axis sum/mean, identity) match cpu', async () => {
  const diffs = await compare(
    [
      [3, 5, 7],
      [3, 4, 7],
      [2, 3, 4, 5],
    ],
    (a, b, c) => [
      tf.matMul(a, b, false, true),
      tf.matMul(a, a, true, false),
      tf.tile(c, [2, 1, 3, 1]),
      tf.sum(c, [0, 1, 2]),
      tf.mean(c, [0, 1, 2], true),
      tf.sum(c, [1]),
      tf.mean(c),
      tf.clone(c),
    ],
    true,
  );
  for (const d of diffs) assert.ok(d < TOL, `max rel diff ${d}`);
});

test('identity by reference count: a clone outlives its disposed original, and frees its memory last', async () => {
  await initBackend({ backend: 'wasm', threads: 1, fastKernels: true });
  const before = tf.memory().numBytes;
  const a = tf.tensor([1, 2, 3, 4]);
  const b = tf.clone(a);
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3, 4]);
  const v = tf.variable(b);
  const z = tf.zeros([4]);
  v.assign(z);
  z.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3, 4], 'assigning a variable made from it leaves the clone alone');
  b.dispose();
  v.dispose();
  assert.equal(tf.memory().numBytes, before, 'no buffer leaked');
});

test('conv2d filter gradient stays finite while the wasm heap grows under it (views re-taken after allocation)', async () => {
  await initBackend({ backend: 'wasm', threads: 1, fastKernels: true });
  // Each size needs an im2col buffer larger than any before, so allocating it grows the wasm memory;
  // a heap view taken before that allocation would read as empty (NaN gradients).
  for (const n of [2, 4, 8, 16, 32]) {
    const bad = tf.tidy(() => {
      const x = tf.randomUniform([n, 28, 28, 16], -1, 1, 'float32', 1) as tf.Tensor4D,
        w = tf.randomUniform([3, 3, 16, 8], -1, 1, 'float32', 2);
      const dw = tf.grad((b: tf.Tensor) => tf.sum(tf.conv2d(x, b as tf.Tensor4D, 1, 'same')))(w);
      return dw.isNaN().any().dataSync()[0];
    });
    assert.equal(bad, 0, `NaN in the filter gradient at batch ${n}`);
  }
});
