// Every differentiable op of the ONNX training tape, forward and gradients, against TF.js's cpu
// backend (the reference) on small random tensors: convolutions with the networks' strides and 'same'
// paddings (even and odd sizes), depthwise, transposed, dense, batch norm, the activations, the losses;
// pointwise, depthwise and batch norm in the (C, N, H, W) layout too.
import { test } from 'node:test';
import { onnxRuntimeOrSkip } from '../helpers/backend.js';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/backend.js';
import { encodeOnnxModel } from '../../src/onnx/proto.js';
import { convTransposePads, samePads } from '../../src/onnx/tfjs-layers.js';
import * as op from '../../src/onnx/ops.js';
import { Tape } from '../../src/onnx/tape.js';

type Build = (t: Tape, ins: string[]) => string;
interface Case {
  name: string;
  /** input shapes in ONNX layout (NCHW, ONNX weights) */
  shapes: number[][];
  onnx: Build;
  /** the same function in TF.js on the same (ONNX-layout) tensors */
  ref: (ins: tf.Tensor[]) => tf.Tensor;
}

const nhwc = (x: tf.Tensor) => tf.transpose(x, [0, 2, 3, 1]);
const nchw = (x: tf.Tensor) => tf.transpose(x, [0, 3, 1, 2]);
/** ONNX Conv weight (out, in, k, k) → TF.js [k, k, in, out]; ConvTranspose (in, out, k, k) → TF.js [k, k, out, in] */
const convW = (w: tf.Tensor) => tf.transpose(w, [2, 3, 1, 0]);

function convCase(n: number, c: number, h: number, m: number, k: number, s: number): Case {
  return {
    name: `conv k${k} s${s} same ${h}×${h}`,
    shapes: [[n, c, h, h], [m, c, k, k], [m]],
    onnx: (t, [x, w, b]) => op.conv(t, x, w, { stride: s, pads: samePads(h, h, k, s) }, 1, b),
    ref: ([x, w, b]) => nchw(tf.add(tf.conv2d(nhwc(x) as tf.Tensor4D, convW(w) as tf.Tensor4D, s, 'same'), b)),
  };
}

function depthwiseCase(n: number, c: number, h: number, s: number): Case {
  return {
    name: `depthwise k3 s${s} same ${h}×${h}`,
    shapes: [
      [n, c, h, h],
      [c, 1, 3, 3],
    ],
    onnx: (t, [x, w]) => op.conv(t, x, w, { stride: s, pads: samePads(h, h, 3, s) }, c),
    ref: ([x, w]) => nchw(tf.depthwiseConv2d(nhwc(x) as tf.Tensor4D, tf.transpose(w, [2, 3, 0, 1]) as tf.Tensor4D, s, 'same')),
  };
}

function convTransposeCase(n: number, cin: number, h: number, cout: number, k: number, s: number, padding: 'same' | 'valid'): Case {
  const out = padding === 'same' ? h * s : (h - 1) * s + k;
  return {
    name: `transposed conv k${k} s${s} ${padding} ${h}→${out}`,
    shapes: [
      [n, cin, h, h],
      [cin, cout, k, k],
    ],
    onnx: (t, [x, w]) => op.convTranspose(t, x, w, { stride: s, pads: convTransposePads(k, s, padding) }),
    ref: ([x, w]) =>
      nchw(tf.conv2dTranspose(nhwc(x) as tf.Tensor4D, tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D, [n, out, out, cout], s, padding)),
  };
}

/** (C, N, H, W), the layout of networks of pointwise and depthwise convolutions, ↔ TF.js's NHWC */
const cnhwToNhwc = (x: tf.Tensor) => tf.transpose(x, [1, 2, 3, 0]);
const nhwcToCnhw = (x: tf.Tensor) => tf.transpose(x, [3, 0, 1, 2]);

function depthwiseCnhwCase(n: number, c: number, h: number, s: number): Case {
  return {
    name: `depthwise (C, N, H, W) k3 s${s} same ${h}×${h}`,
    shapes: [
      [c, n, h, h],
      [c, 1, 3, 3],
    ],
    onnx: (t, [x, w]) => op.depthwiseCnhw(t, x, w, { stride: s, pads: samePads(h, h, 3, s) }),
    ref: ([x, w]) => nhwcToCnhw(tf.depthwiseConv2d(cnhwToNhwc(x) as tf.Tensor4D, tf.transpose(w, [2, 3, 0, 1]) as tf.Tensor4D, s, 'same')),
  };
}

const CASES: Case[] = [
  {
    name: 'pointwise (C, N, H, W)',
    shapes: [
      [6, 3, 5, 4],
      [6, 7],
    ],
    onnx: (t, [x, w]) => op.pointwiseCnhw(t, x, w),
    ref: ([x, w]) => nhwcToCnhw(tf.conv2d(cnhwToNhwc(x) as tf.Tensor4D, tf.reshape(w, [1, 1, 6, 7]) as tf.Tensor4D, 1, 'valid')),
  },
  depthwiseCnhwCase(3, 6, 8, 2),
  depthwiseCnhwCase(2, 5, 7, 2),
  depthwiseCnhwCase(2, 4, 6, 1),
  {
    name: 'batch norm (training) + ReLU6, (C, N, H, W)',
    shapes: [[4, 3, 5, 5], [4], [4]],
    onnx: (t, [x, g, b]) => op.relu(t, op.batchNormTraining(t, x, g, b, 1e-3, 0).y, 6),
    ref: ([x, g, b]) => {
      const v = cnhwToNhwc(x);
      const { mean, variance } = tf.moments(v, [0, 1, 2]);
      return nhwcToCnhw(tf.clipByValue(tf.relu(tf.batchNorm(v, mean, variance, b, g, 1e-3)), 0, 6));
    },
  },
  convCase(3, 3, 8, 4, 4, 2),
  convCase(2, 4, 7, 5, 3, 2),
  convCase(2, 5, 2, 3, 3, 2),
  // pointwise: a large map (per-sample products) and a small map with many channels (one product)
  convCase(2, 6, 5, 7, 1, 1),
  convCase(2, 12, 2, 10, 1, 1),
  depthwiseCase(3, 6, 8, 2),
  depthwiseCase(2, 5, 7, 2),
  depthwiseCase(2, 4, 6, 1),
  convTransposeCase(2, 5, 4, 3, 4, 1, 'valid'),
  convTransposeCase(3, 4, 7, 3, 4, 2, 'same'),
  {
    // the same as one product over the batch and an overlap-add (TF.js's kernel [k, k, out, in]); 5×3 input, k 3
    name: 'transposed conv k3 s1 valid as a product, 5×3→7×5',
    shapes: [
      [2, 5, 5, 3],
      [3, 3, 4, 5],
    ],
    onnx: (t, [x, w]) => op.convTransposeProduct(t, x, w),
    ref: ([x, w]) => nchw(tf.conv2dTranspose(nhwc(x) as tf.Tensor4D, w as tf.Tensor4D, [2, 7, 5, 4], 1, 'valid')),
  },
  {
    name: 'dense + bias',
    shapes: [[5, 6], [6, 4], [4]],
    onnx: (t, [x, w, b]) => op.dense(t, x, w, b),
    ref: ([x, w, b]) => tf.add(tf.matMul(x, w), b),
  },
  {
    name: 'dense, weight transposed',
    shapes: [
      [5, 6],
      [4, 6],
    ],
    onnx: (t, [x, w]) => op.dense(t, x, w, undefined, true),
    ref: ([x, w]) => tf.matMul(x, w, false, true),
  },
  {
    name: 'batch norm (training) + ReLU6',
    shapes: [[3, 4, 5, 5], [4], [4]],
    onnx: (t, [x, g, b]) => op.relu(t, op.batchNormTraining(t, x, g, b, 1e-3).y, 6),
    ref: ([x, g, b]) => {
      const v = nhwc(x);
      const { mean, variance } = tf.moments(v, [0, 1, 2]);
      return nchw(tf.clipByValue(tf.relu(tf.batchNorm(v, mean, variance, b, g, 1e-3)), 0, 6));
    },
  },
  {
    name: 'leaky ReLU, tanh, residual add, global average pool',
    shapes: [
      [3, 4, 3, 3],
      [3, 4, 3, 3],
    ],
    onnx: (t, [x, y]) => op.globalAveragePool(t, op.add(t, op.tanh(t, x), op.leakyRelu(t, y, 0.2))),
    ref: ([x, y]) => tf.mean(tf.add(tf.tanh(x), tf.leakyRelu(y, 0.2)), [2, 3]),
  },
  {
    name: 'losses: Σ softplus(±z) and Σ (a − b)² scaled',
    shapes: [
      [6, 1],
      [6, 1],
      [6, 5],
      [6, 5],
    ],
    onnx: (t, [z1, z2, a, b]) =>
      op.add(t, op.add(t, op.sumSoftplus(t, z1, -1), op.sumSoftplus(t, z2, 1)), op.sumSquaredDifference(t, a, b, 0.3)),
    ref: ([z1, z2, a, b]) =>
      tf.addN([tf.sum(tf.softplus(tf.neg(z1))), tf.sum(tf.softplus(z2)), tf.mul(0.3, tf.sum(tf.squaredDifference(a, b)))]),
  },
];

test('every tape op and its gradients equal TF.js (cpu backend)', async (t) => {
  const ort = await onnxRuntimeOrSkip(t);
  if (!ort) return;
  await initBackend({ backend: 'cpu' });
  for (const c of CASES) {
    // (batch norm: γ around 3, so that ReLU6's upper bound is crossed too)
    const data = c.shapes.map((s, i) => tf.randomNormal(s, i === 1 && c.name.startsWith('batch') ? 3 : 0, 1, 'float32', 100 + i));
    const tape = new Tape();
    const ins = c.shapes.map((s, i) => tape.input(`in${i}`, s, true));
    const y = c.onnx(tape, ins);
    // objective Σ y·r with a fixed random r, so every output element's gradient is exercised
    const r = tf.randomNormal(tape.shape(y), 0, 1, 'float32', 7);
    const rIn = tape.input('r', tape.shape(y));
    const obj = tape.op('ReduceSum', [tape.op('Mul', [y, rIn], tape.shape(y))], [], 'obj', { keepdims: 0 });
    tape.record([y], obj, (g) => tape.addGrad(y, tape.op('Mul', [rIn, g], tape.shape(y))));
    tape.backward([[obj, 1]]);
    tape.output(y, 'y');
    ins.forEach((v, i) => tape.output(tape.gradOf(v), `g${i}`));
    const session = await ort.InferenceSession.create(encodeOnnxModel(tape.graph(c.name)));
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { r: new ort.Tensor('float32', r.dataSync() as Float32Array, r.shape) };
    data.forEach((d, i) => {
      feeds[`in${i}`] = new ort.Tensor('float32', d.dataSync() as Float32Array, d.shape);
    });
    const out = await session.run(feeds);
    const refY = c.ref(data);
    const refG = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(c.ref(xs), r)))(data);
    const check = (what: string, got: ArrayLike<number>, want: tf.Tensor) => {
      const w = want.dataSync();
      assert.equal(got.length, w.length, `${c.name}: ${what} size`);
      let scale = 0,
        diff = 0;
      for (let i = 0; i < w.length; i++) {
        scale = Math.max(scale, Math.abs(w[i]));
        diff = Math.max(diff, Math.abs(w[i] - got[i]));
      }
      assert.ok(scale > 0, `${c.name}: ${what} is all zeros`);
      assert.ok(
        diff <= 1e-4 * scale + 1e-6,
        `${c.name}: ${what} max |onnx − tfjs| ${diff.toExponential(2)} (scale ${scale.toExponential(2)})`,
      );
    };
    check('output', out.y.data as Float32Array, refY);
    refG.forEach((g, i) => check(`gradient ${i}`, out[`g${i}`].data as Float32Array, g));
    await session.release();
  }
});
