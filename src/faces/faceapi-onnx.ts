// face-api's face detector (SSD on MobileNetV1, 512×512 input; most of face-api's time) on onnxruntime.
// face-api builds its networks from TF.js ops in code, not as graph models, so this writes the same
// network (MobileNetV1 body and SSD prediction layers, with face-api's own parameters) as one ONNX graph
// and puts it in place of the detector's forwardInput: input scaling, box decoding, non-maximum
// suppression, landmarks and descriptors stay face-api's. Depthwise batch norms are folded into their
// kernels (the same arithmetic up to float rounding).
import * as tf from '@tensorflow/tfjs';
import type { Ort } from '../backend/onnxruntime.js';
import { encodeOnnxModel, type OnnxNode, type OnnxTensor } from '../onnx/proto.js';
import { axisPads, permute } from '../onnx/graph-model.js';
import { syncSession } from './onnx-graph-executor.js';

type Params = Record<string, tf.Tensor>;
interface SsdParams {
  mobilenetv1: Record<string, { depthwise_conv: Params; pointwise_conv: Params } & Params>;
  prediction_layer: Record<string, Params & { box_encoding_predictor: Params; class_predictor: Params }>;
  output_layer: { extra_dim: tf.Tensor };
}
/** The detector as face-api defines it (the part this replaces). */
export interface SsdNet {
  params?: unknown;
  forwardInput(input: { toBatchTensor(size: number, center: boolean): tf.Tensor4D }): { boxes: tf.Tensor2D[]; scores: tf.Tensor1D[] };
}

const SIZE = 512;
const BN_EPSILON = 0.0010000000474974513; // face-api's
const values = (t: tf.Tensor) => Float32Array.from(t.dataSync() as Float32Array);

/** The MobileNetV1 SSD of face-api as ONNX: input NHWC [n, 512, 512, 3] in [-1, 1]; outputs as face-api's prediction layer. */
function ssdGraph(p: SsdParams): Uint8Array {
  const nodes: OnnxNode[] = [],
    initializers: OnnxTensor[] = [];
  let k = 0;
  const name = (base: string) => `${base}_${k++}`;
  const constant = (dims: number[], data: Float32Array | BigInt64Array) => {
    const n = name('c');
    initializers.push({ name: n, dims, data });
    return n;
  };
  const op = (type: string, inputs: string[], attrs?: OnnxNode['attrs']) => {
    const n = name(type);
    nodes.push({ op: type, inputs, outputs: [n], name: n, ...(attrs ? { attrs } : {}) });
    return n;
  };
  const zero = constant([], Float32Array.of(0)),
    six = constant([], Float32Array.of(6));
  interface Map_ {
    name: string;
    size: number;
  }
  /** conv2d 'same' (+ bias) on an NCHW map of side `size`; depthwise kernels [k, k, c, 1]. */
  const conv = (x: Map_, filters: tf.Tensor, bias: Float32Array, stride: number, depthwise = false, scale?: Float32Array): Map_ => {
    const [kh, kw, cin, cout] = filters.shape;
    let w = values(filters);
    if (scale) w = w.map((v, i) => v * scale[i % cin]); // depthwise [kh, kw, c, 1]: channel = i mod c
    const kernel = depthwise
      ? constant([cin * cout, 1, kh, kw], permute(w, filters.shape, [2, 3, 0, 1]))
      : constant([cout, cin, kh, kw], permute(w, filters.shape, [3, 2, 0, 1]));
    const [t, b] = axisPads(x.size, kh, stride, 'SAME'),
      [l, r] = axisPads(x.size, kw, stride, 'SAME');
    const y = op('Conv', [x.name, kernel, constant([bias.length], bias)], {
      kernel_shape: [kh, kw],
      strides: [stride, stride],
      pads: [t, l, b, r],
      group: depthwise ? cin : 1,
    });
    return { name: y, size: Math.ceil(x.size / stride) };
  };
  const relu6 = (x: Map_): Map_ => ({ name: op('Clip', [x.name, zero, six]), size: x.size });
  // face-api: conv + batch_norm_offset, ReLU6
  const pointwise = (x: Map_, q: Params, stride: number) => relu6(conv(x, q.filters, values(q.batch_norm_offset), stride));
  // face-api: depthwise conv, batch norm (mean, variance, offset, scale), ReLU6; folded into the kernel
  const depthwise = (x: Map_, q: Params, stride: number) => {
    const mean = values(q.batch_norm_mean),
      variance = values(q.batch_norm_variance),
      offset = values(q.batch_norm_offset),
      gamma = values(q.batch_norm_scale);
    const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + BN_EPSILON));
    return relu6(
      conv(
        x,
        q.filters,
        offset.map((o, c) => o - mean[c] * scale[c]),
        stride,
        true,
        scale,
      ),
    );
  };

  let x: Map_ = { name: op('Transpose', ['input'], { perm: [0, 3, 1, 2] }), size: SIZE };
  const m = p.mobilenetv1;
  x = pointwise(x, m.conv_0, 2);
  let conv11: Map_ | undefined;
  for (let i = 1; i <= 13; i++) {
    x = depthwise(x, m[`conv_${i}`].depthwise_conv, [2, 4, 6, 12].includes(i) ? 2 : 1);
    x = pointwise(x, m[`conv_${i}`].pointwise_conv, 1);
    if (i === 11) conv11 = x;
  }
  const pl = p.prediction_layer;
  const chain: Map_[] = [];
  let y = x;
  for (let i = 0; i < 8; i++) {
    y = pointwise(y, pl[`conv_${i}`], i % 2 ? 2 : 1);
    chain.push(y);
  }
  const sources = [conv11!, x, chain[1], chain[3], chain[5], chain[7]];
  const shape = (dims: number[]) => constant([dims.length], BigInt64Array.from(dims.map(BigInt)));
  const boxes: string[] = [],
    classes: string[] = [];
  sources.forEach((s, i) => {
    const bp = pl[`box_predictor_${i}`];
    // face-api reshapes the NHWC map: back to NHWC first (0 in a shape keeps the batch)
    const head = (q: Params, dims: number[]) =>
      op('Reshape', [op('Transpose', [conv(s, q.filters, values(q.bias), 1).name], { perm: [0, 2, 3, 1] }), shape(dims)]);
    boxes.push(head(bp.box_encoding_predictor, [0, -1, 1, 4]));
    classes.push(head(bp.class_predictor, [0, -1, 3]));
  });
  nodes.push({ op: 'Concat', inputs: boxes, outputs: ['box'], name: 'box', attrs: { axis: 1 } });
  nodes.push({ op: 'Concat', inputs: classes, outputs: ['class'], name: 'class', attrs: { axis: 1 } });
  return encodeOnnxModel({
    name: 'faceapi_ssd_mobilenetv1',
    nodes,
    initializers,
    inputs: [{ name: 'input', dims: ['n', SIZE, SIZE, 3] }],
    outputs: [
      { name: 'box', dims: ['n', 'anchors', 1, 4] },
      { name: 'class', dims: ['n', 'anchors', 3] },
    ],
  });
}

/** face-api's box decoding (its output layer), op for op. */
function decode(box: tf.Tensor, cls: tf.Tensor, anchors: tf.Tensor) {
  const r = box.shape[0];
  const o = tf.reshape(tf.tile(anchors, [r, 1, 1]), [-1, 4]),
    t = tf.reshape(box, [-1, 4]);
  const a4 = tf.unstack(tf.transpose(o, [1, 0]));
  const sizes = [tf.sub(a4[2], a4[0]), tf.sub(a4[3], a4[1])],
    centers = [tf.add(a4[0], tf.div(sizes[0], 2)), tf.add(a4[1], tf.div(sizes[1], 2))];
  const n = tf.unstack(tf.transpose(t, [1, 0]));
  const s = tf.div(tf.mul(tf.exp(tf.div(n[2], 5)), sizes[0]), 2),
    a = tf.add(tf.mul(tf.div(n[0], 10), sizes[0]), centers[0]),
    i = tf.div(tf.mul(tf.exp(tf.div(n[3], 5)), sizes[1]), 2),
    c = tf.add(tf.mul(tf.div(n[1], 10), sizes[1]), centers[1]);
  let decoded = tf.transpose(tf.stack([tf.sub(a, s), tf.sub(c, i), tf.add(a, s), tf.add(c, i)]), [1, 0]);
  decoded = tf.reshape(decoded, [r, decoded.shape[0] / r, 4]);
  const sig = tf.sigmoid(tf.slice(cls, [0, 0, 1], [-1, -1, -1]));
  let scores = tf.slice(sig, [0, 0, 0], [-1, -1, 1]);
  scores = tf.reshape(scores, [r, scores.shape[1]!]);
  return { boxes: tf.unstack(decoded) as tf.Tensor2D[], scores: tf.unstack(scores) as tf.Tensor1D[] };
}

/** Puts the detector's network on onnxruntime; returns null, or why it stays on TF.js. */
export function detectorOnOnnx(net: SsdNet, ort: Ort, threads = 0): string | null {
  const p = net.params as SsdParams | undefined;
  if (!p?.mobilenetv1 || !p.prediction_layer || !p.output_layer) return 'its parameters are not loaded';
  const run = syncSession(ort, ssdGraph(p), threads);
  if (!run) return 'this onnxruntime-node has no synchronous native session';
  net.forwardInput = (input) =>
    tf.tidy(() => {
      const x = tf.sub(tf.div(tf.cast(input.toBatchTensor(SIZE, false), 'float32'), 127.5), 1);
      const [box, cls] = run({ input: x }, ['box', 'class']);
      return decode(box, cls, p.output_layer.extra_dim);
    });
  return null;
}
