// ArrayAdam (the optimiser of training on onnxruntime, native kernel or JS) applies TF.js's Adam
// update and saves TF.js's state, so checkpoints move between the two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ArrayAdam, JS_KERNELS } from '../../src/train/array-adam.js';
import { nativeKernels, type NativeKernels } from '../../src/train/native-kernels.js';
import { mulberry32 } from '../../src/core/rng.js';
import { useWasm } from '../helpers/backend.js';

const SHAPES = [[3, 4], [5], [257]];
const rand = mulberry32(7);
const randomArray = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
/** gradients per step per variable, with scales far apart (Adam normalises them away) */
const GRADS = [0, 1, 2, 3].map(() =>
  SHAPES.map((s, i) =>
    randomArray(
      s.reduce((a, b) => a * b, 1),
      10 ** (i - 1),
    ),
  ),
);
const INIT = SHAPES.map((s) => randomArray(s.reduce((a, b) => a * b, 1)));

function variables(prefix: string): tf.Variable[] {
  return SHAPES.map((s, i) => tf.variable(tf.tensor(INIT[i], s), true, `${prefix}_${i}_${Math.floor(rand() * 1e9)}`));
}
/** Steps `from`..`to`−1 on TF.js's Adam: gradients scaled by 1/2, as a summed batch of 2 would be. */
function tfjsSteps(opt: tf.Optimizer, vars: tf.Variable[], from: number, to: number): void {
  for (let k = from; k < to; k++)
    tf.tidy(() => opt.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, tf.mul(tf.tensor(GRADS[k][i], v.shape), 0.5)]))));
}
function arraySteps(opt: ArrayAdam, vars: tf.Variable[], from: number, to: number): void {
  const weights = vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  for (let k = from; k < to; k++)
    opt.applyArrays(
      vars,
      GRADS[k].map((g) => Float32Array.from(g)),
      0.5,
      weights,
    );
  tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
}
function assertClose(a: tf.Variable[], b: tf.Variable[], what: string): void {
  a.forEach((v, i) => {
    const x = v.dataSync(),
      y = b[i].dataSync();
    for (let j = 0; j < x.length; j++)
      assert.ok(Math.abs(x[j] - y[j]) <= 1e-6 + 1e-5 * Math.abs(x[j]), `${what}: variable ${i}[${j}] TF.js ${x[j]} vs ${y[j]}`);
  });
}

const kernels: [string, NativeKernels][] = [
  ['JS', JS_KERNELS],
  ...(nativeKernels() ? [['native', nativeKernels()!] as [string, NativeKernels]] : []),
];

for (const [label, k] of kernels) {
  test(`ArrayAdam (${label} kernel) takes TF.js Adam's steps and saves TF.js's state`, async () => {
    await useWasm(false);
    const ref = variables('ref'),
      mine = variables('mine');
    const tfAdam = tf.train.adam(1e-2, 0.5, 0.999),
      arrayAdam = new ArrayAdam(1e-2, 0.5, 0.999, undefined, k);
    tfjsSteps(tfAdam, ref, 0, 3);
    arraySteps(arrayAdam, mine, 0, 3);
    assertClose(ref, mine, 'after 3 steps');
    const moved = ref[0].dataSync().some((x, j) => Math.abs(x - INIT[0][j]) > 1e-3);
    assert.ok(moved, 'the steps moved the weights');

    // same names in the same order, same values
    const wa = await tfAdam.getWeights(),
      wb = await arrayAdam.getWeights();
    assert.deepEqual(
      wb.map((w) => w.name.replace(/mine_(\d+)_\d+/, 'v$1')),
      wa.map((w) => w.name.replace(/ref_(\d+)_\d+/, 'v$1')),
    );
    wa.forEach((w, i) => {
      const x = w.tensor.dataSync(),
        y = wb[i].tensor.dataSync();
      for (let j = 0; j < x.length; j++) assert.ok(Math.abs(x[j] - y[j]) <= 1e-6 + 1e-5 * Math.abs(x[j]), `state ${w.name}[${j}]`);
    });

    // a TF.js optimiser's state resumes in ArrayAdam (as a checkpoint does, running β products included)
    const resumed = new ArrayAdam(1e-2, 0.5, 0.999, undefined, k);
    const resumedVars = variables('resumed');
    resumedVars.forEach((v, i) => v.assign(ref[i]));
    await resumed.setWeights(wa.map((w) => ({ name: w.name.replace(/ref_/, 'resumed_'), tensor: w.tensor })));
    resumed.accBeta1.assign((tfAdam as unknown as { accBeta1: tf.Variable }).accBeta1);
    resumed.accBeta2.assign((tfAdam as unknown as { accBeta2: tf.Variable }).accBeta2);
    tfjsSteps(tfAdam, ref, 3, 4);
    arraySteps(resumed, resumedVars, 3, 4);
    assertClose(ref, resumedVars, 'step 4 after resuming');
    tf.dispose(wb.map((w) => w.tensor));
    tf.dispose([...ref, ...mine, ...resumedVars]);
    tfAdam.dispose();
    arrayAdam.dispose();
    resumed.dispose();
  });
}

test('the native kernels, where built, compute what the JS fallback computes', (t) => {
  const native = nativeKernels();
  if (!native) {
    t.skip('native kernels not built (no C compiler at install, or R3AN_NATIVE=0)');
    return;
  }
  const n = 10_001;
  const w = randomArray(n),
    m = randomArray(n, 0.1),
    v = Float32Array.from(randomArray(n), Math.abs),
    g = randomArray(n),
    g2 = randomArray(n);
  const copies = () => [w, m, v, g].map((a) => Float32Array.from(a));
  const [w1, m1, v1, s1] = copies(),
    [w2, m2, v2, s2] = copies();
  native.accumulate(s1, g2);
  JS_KERNELS.accumulate(s2, g2);
  native.adamUpdate(w1, m1, v1, s1, 0.5, 0.9, 0.999, 1e-3, 1e-7);
  JS_KERNELS.adamUpdate(w2, m2, v2, s2, 0.5, 0.9, 0.999, 1e-3, 1e-7);
  for (const [a, b, name] of [
    [s1, s2, 'sum'],
    [m1, m2, 'm'],
    [v1, v2, 'v'],
    [w1, w2, 'w'],
  ] as const) {
    for (let j = 0; j < n; j++)
      assert.ok(Math.abs(a[j] - b[j]) <= 1e-7 + 1e-5 * Math.abs(b[j]), `${name}[${j}]: native ${a[j]} vs JS ${b[j]}`);
  }
  assert.ok(
    w1.some((x, j) => x !== w[j]),
    'the update changed the weights',
  );
  assert.throws(() => native.adamUpdate(w1, m1.subarray(1), v1, s1, 1, 0.9, 0.999, 1e-3, 1e-7), /one length/);
});
