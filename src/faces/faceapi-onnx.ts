// face-api's face detector (SSD on MobileNetV1, 512×512 input; most of face-api's time) and its
// recognition network (a ResNet-34-like on 150×150 faces) on onnxruntime. face-api builds its networks
// from TF.js ops in code, not as graph models, so this writes the same networks (with face-api's own
// parameters) as ONNX graphs and puts them in place of their forwardInput: input preparation, box
// decoding, non-maximum suppression and landmarks stay face-api's. Batch norms and scale layers are
// folded into the convolutions' kernels (the same arithmetic up to float rounding).
import * as tf from '@tensorflow/tfjs';
import type { Ort } from '../backend/onnxruntime.js';
import { encodeOnnxModel, type OnnxNode } from '../onnx/proto.js';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { permute } from '../onnx/graph-model.js';
import { axisPads } from '../onnx/tfjs-layers.js';
import { syncSession } from './onnx-graph-executor.js';

type Params = Record<string, tf.Tensor>;
interface SsdParams {
  mobilenetv1: Record<string, { depthwise_conv: Params; pointwise_conv: Params } & Params>;
  prediction_layer: Record<string, Params & { box_encoding_predictor: Params; class_predictor: Params }>;
  output_layer: { extra_dim: tf.Tensor };
}
interface ConvParams {
  conv: { filters: tf.Tensor; bias: tf.Tensor };
  scale: { weights: tf.Tensor; biases: tf.Tensor };
}
interface ResidualParams {
  conv1: ConvParams;
  conv2: ConvParams;
}
type RecognitionParams = Record<string, ConvParams | ResidualParams> & { conv32_down: ConvParams; fc: tf.Tensor };

interface NetInput {
  toBatchTensor(size: number, center: boolean): tf.Tensor4D;
}
/** face-api's detector and recognition network (the part this replaces). */
export interface SsdNet {
  params?: unknown;
  forwardInput(input: NetInput): { boxes: tf.Tensor2D[]; scores: tf.Tensor1D[] };
}
export interface RecognitionNet {
  params?: unknown;
  forwardInput(input: NetInput): tf.Tensor2D;
}

const SSD_SIZE = 512,
  RECOGNITION_SIZE = 150;
const RGB_MEAN = [122.782, 117.001, 104.298]; // face-api's, for the recognition network
const BN_EPSILON = 0.0010000000474974513; // face-api's
const values = (t: tf.Tensor) => Float32Array.from(t.dataSync() as Float32Array);

interface FeatureMap {
  name: string;
  /** spatial side (square maps) */
  size: number;
}

/** ONNX nodes over NCHW feature maps with TF's padding rules, from TF.js kernels ([kh, kw, in, out]). */
class Builder extends GraphBuilder {
  /** A node named after its op. */
  node(type: string, inputs: string[], attrs?: OnnxNode['attrs']): string {
    return this.op(type, inputs, type, attrs);
  }
  value(dims: number[], data: Float32Array | BigInt64Array): string {
    return this.constant('c', dims, data);
  }
  /** The NHWC input `input` of side `size`, as an NCHW map. */
  input(size: number): FeatureMap {
    return { name: this.node('Transpose', ['input'], { perm: [0, 3, 1, 2] }), size };
  }
  /**
   * conv2d (+ bias) with TF's 'same' or 'valid' padding; `scale` multiplies each output channel (folded
   * into the kernel); depthwise kernels are [k, k, c, 1].
   */
  conv(
    x: FeatureMap,
    filters: tf.Tensor,
    bias: Float32Array,
    stride: number,
    o: { depthwise?: boolean; scale?: Float32Array; padding?: 'SAME' | 'VALID' } = {},
  ): FeatureMap {
    const [kh, kw, cin, cout] = filters.shape;
    const outC = o.depthwise ? cin * cout : cout;
    let w = values(filters);
    if (o.scale) w = w.map((v, i) => v * o.scale![i % outC]); // the output channel is the last axis
    const kernel = o.depthwise
      ? this.value([outC, 1, kh, kw], permute(w, filters.shape, [2, 3, 0, 1]))
      : this.value([cout, cin, kh, kw], permute(w, filters.shape, [3, 2, 0, 1]));
    const mode = o.padding ?? 'SAME';
    const [t, b] = axisPads(x.size, kh, stride, mode),
      [l, r] = axisPads(x.size, kw, stride, mode);
    const y = this.node('Conv', [x.name, kernel, this.value([bias.length], bias)], {
      kernel_shape: [kh, kw],
      strides: [stride, stride],
      pads: [t, l, b, r],
      group: o.depthwise ? cin : 1,
    });
    return { name: y, size: Math.floor((x.size + t + b - kh) / stride) + 1 };
  }
  relu6(x: FeatureMap): FeatureMap {
    return { name: this.node('Clip', [x.name, this.value([], Float32Array.of(0)), this.value([], Float32Array.of(6))]), size: x.size };
  }
  relu(x: FeatureMap): FeatureMap {
    return { name: this.node('Relu', [x.name]), size: x.size };
  }
  shape(dims: number[]): string {
    return this.value([dims.length], BigInt64Array.from(dims.map(BigInt)));
  }
  encode(name: string, inputSize: number, outputs: { name: string; dims: (number | string)[] }[]): Uint8Array {
    return encodeOnnxModel({
      name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: [{ name: 'input', dims: ['n', inputSize, inputSize, 3] }],
      outputs,
    });
  }
}

/** The MobileNetV1 SSD of face-api as ONNX: input NHWC [n, 512, 512, 3] in [-1, 1]; outputs as face-api's prediction layer. */
function ssdGraph(p: SsdParams): Uint8Array {
  const g = new Builder();
  // face-api: conv + batch_norm_offset, ReLU6
  const pointwise = (x: FeatureMap, q: Params, stride: number) => g.relu6(g.conv(x, q.filters, values(q.batch_norm_offset), stride));
  // face-api: depthwise conv, batch norm (mean, variance, offset, scale), ReLU6; folded into the kernel
  const depthwise = (x: FeatureMap, q: Params, stride: number) => {
    const mean = values(q.batch_norm_mean),
      variance = values(q.batch_norm_variance),
      offset = values(q.batch_norm_offset),
      gamma = values(q.batch_norm_scale);
    const scale = gamma.map((v, c) => v / Math.sqrt(variance[c] + BN_EPSILON));
    return g.relu6(
      g.conv(
        x,
        q.filters,
        offset.map((o, c) => o - mean[c] * scale[c]),
        stride,
        { depthwise: true, scale },
      ),
    );
  };

  let x = g.input(SSD_SIZE);
  const m = p.mobilenetv1;
  x = pointwise(x, m.conv_0, 2);
  let conv11: FeatureMap | undefined;
  for (let i = 1; i <= 13; i++) {
    x = depthwise(x, m[`conv_${i}`].depthwise_conv, [2, 4, 6, 12].includes(i) ? 2 : 1);
    x = pointwise(x, m[`conv_${i}`].pointwise_conv, 1);
    if (i === 11) conv11 = x;
  }
  const pl = p.prediction_layer;
  const chain: FeatureMap[] = [];
  let y = x;
  for (let i = 0; i < 8; i++) {
    y = pointwise(y, pl[`conv_${i}`], i % 2 ? 2 : 1);
    chain.push(y);
  }
  const sources = [conv11!, x, chain[1], chain[3], chain[5], chain[7]];
  const boxes: string[] = [],
    classes: string[] = [];
  sources.forEach((s, i) => {
    const bp = pl[`box_predictor_${i}`];
    // face-api reshapes the NHWC map: back to NHWC first (0 in a shape keeps the batch)
    const head = (q: Params, dims: number[]) =>
      g.node('Reshape', [g.node('Transpose', [g.conv(s, q.filters, values(q.bias), 1).name], { perm: [0, 2, 3, 1] }), g.shape(dims)]);
    boxes.push(head(bp.box_encoding_predictor, [0, -1, 1, 4]));
    classes.push(head(bp.class_predictor, [0, -1, 3]));
  });
  g.nodes.push({ op: 'Concat', inputs: boxes, outputs: ['box'], name: 'box', attrs: { axis: 1 } });
  g.nodes.push({ op: 'Concat', inputs: classes, outputs: ['class'], name: 'class', attrs: { axis: 1 } });
  return g.encode('faceapi_ssd_mobilenetv1', SSD_SIZE, [
    { name: 'box', dims: ['n', 'anchors', 1, 4] },
    { name: 'class', dims: ['n', 'anchors', 3] },
  ]);
}

/** face-api's recognition network as ONNX: input NHWC [n, 150, 150, 3], mean-subtracted and /255; output [n, 128]. */
function recognitionGraph(p: RecognitionParams): Uint8Array {
  const g = new Builder();
  // face-api: conv + bias, then a scale layer (× weights + biases), ReLU where asked; folded into the kernel
  const conv = (x: FeatureMap, q: ConvParams, stride: number, relu: boolean, padding: 'SAME' | 'VALID' = 'SAME') => {
    const w = values(q.scale.weights),
      b = values(q.scale.biases),
      bias = values(q.conv.bias);
    const y = g.conv(
      x,
      q.conv.filters,
      bias.map((v, c) => v * w[c] + b[c]),
      stride,
      { scale: w, padding },
    );
    return relu ? g.relu(y) : y;
  };
  const residual = (x: FeatureMap, q: ResidualParams) => {
    const e = conv(conv(x, q.conv1, 1, true), q.conv2, 1, false);
    return g.relu({ name: g.node('Add', [e.name, x.name]), size: x.size });
  };
  // face-api's down-sampling block: the shortcut is a 2×2 average pool, zero-padded to the branch's
  // channels; the branch (a 'valid' stride-2 conv) gets a zero row and column when it comes out smaller
  const down = (x: FeatureMap, q: ResidualParams) => {
    let e = conv(conv(x, q.conv1, 2, true, 'VALID'), q.conv2, 1, false);
    const pooled = Math.floor(x.size / 2);
    const r = g.node('AveragePool', [x.name], { kernel_shape: [2, 2], strides: [2, 2] });
    if (e.size !== pooled)
      e = { name: g.node('Pad', [e.name, g.shape([0, 0, 0, 0, 0, 0, 1, 1]), g.value([], Float32Array.of(0))]), size: e.size + 1 };
    const cin = q.conv1.conv.filters.shape[2]!,
      cout = q.conv2.conv.filters.shape[3]!;
    const shortcut = cin === cout ? r : g.node('Pad', [r, g.shape([0, 0, 0, 0, 0, cout - cin, 0, 0]), g.value([], Float32Array.of(0))]);
    return g.relu({ name: g.node('Add', [shortcut, e.name]), size: e.size });
  };
  let x = conv(g.input(RECOGNITION_SIZE), p.conv32_down, 2, true, 'VALID');
  x = { name: g.node('MaxPool', [x.name], { kernel_shape: [3, 3], strides: [2, 2] }), size: Math.floor((x.size - 3) / 2) + 1 };
  for (const [name, kind] of [
    ['conv32_1', 'res'],
    ['conv32_2', 'res'],
    ['conv32_3', 'res'],
    ['conv64_down', 'down'],
    ['conv64_1', 'res'],
    ['conv64_2', 'res'],
    ['conv64_3', 'res'],
    ['conv128_down', 'down'],
    ['conv128_1', 'res'],
    ['conv128_2', 'res'],
    ['conv256_down', 'down'],
    ['conv256_1', 'res'],
    ['conv256_2', 'res'],
    ['conv256_down_out', 'down'],
  ] as const)
    x = kind === 'res' ? residual(x, p[name] as ResidualParams) : down(x, p[name] as ResidualParams);
  const pooled = g.node('ReduceMean', [x.name], { axes: [2, 3], keepdims: 0 });
  g.nodes.push({ op: 'MatMul', inputs: [pooled, g.value(p.fc.shape, values(p.fc))], outputs: ['descriptor'], name: 'descriptor' });
  return g.encode('faceapi_recognition', RECOGNITION_SIZE, [{ name: 'descriptor', dims: ['n', p.fc.shape[1]!] }]);
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
export function detectorOnOnnx(net: SsdNet, ort: Ort, threads = 1): string | null {
  const p = net.params as SsdParams | undefined;
  if (!p?.mobilenetv1 || !p.prediction_layer || !p.output_layer) return 'its parameters are not loaded';
  const run = syncSession(ort, ssdGraph(p), threads);
  if (!run) return 'this onnxruntime-node has no synchronous native session';
  net.forwardInput = (input) =>
    tf.tidy(() => {
      const x = tf.sub(tf.div(tf.cast(input.toBatchTensor(SSD_SIZE, false), 'float32'), 127.5), 1);
      const [box, cls] = run({ input: x }, ['box', 'class']);
      return decode(box, cls, p.output_layer.extra_dim);
    });
  return null;
}

/** Puts the recognition network on onnxruntime; returns null, or why it stays on TF.js. */
export function recognitionOnOnnx(net: RecognitionNet, ort: Ort, threads = 1): string | null {
  const p = net.params as RecognitionParams | undefined;
  if (!p?.conv32_down || !p.fc) return 'its parameters are not loaded';
  const run = syncSession(ort, recognitionGraph(p), threads);
  if (!run) return 'this onnxruntime-node has no synchronous native session';
  net.forwardInput = (input) =>
    tf.tidy(() => {
      const x = tf.div(tf.sub(tf.cast(input.toBatchTensor(RECOGNITION_SIZE, true), 'float32'), tf.tensor1d(RGB_MEAN)), 255);
      return run({ input: x }, ['descriptor'])[0] as tf.Tensor2D;
    });
  return null;
}
