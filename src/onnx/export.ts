// A trained mapping (TF.js layers model: ridge, MLP, or E(G(X))) as an ONNX graph, so `map` can run on
// onnxruntime where it is installed. Feature maps are NCHW in ONNX (TF.js is NHWC): kernels are
// transposed once here, and 'same' padding becomes explicit pads computed from the static shapes.
import * as tf from '@tensorflow/tfjs';
import { encodeOnnxModel, type OnnxGraph } from './proto.js';
import { GraphBuilder } from './graph-builder.js';
import { permute } from './graph-model.js';
import { convTransposePads, inputShapeOf, pair, samePads, walkModel, type Container } from './tfjs-layers.js';

export const ONNX_INPUT = 'source_feature';
export const ONNX_OUTPUT = 'mapped_feature';

type Layer = tf.layers.Layer;

const weightsOf = (layer: Layer) => layer.getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape }));
const config = (layer: Layer) => layer.getConfig() as Record<string, unknown>;
function activation(b: GraphBuilder, x: string, act: unknown, base: string): string {
  if (act == null || act === 'linear') return x;
  if (act === 'relu') return b.op('Relu', [x], base);
  if (act === 'tanh') return b.op('Tanh', [x], base);
  if (act === 'sigmoid') return b.op('Sigmoid', [x], base);
  throw new Error(`ONNX export: activation "${String(act)}" is not supported`);
}

function convertLayer(b: GraphBuilder, layer: Layer, inputs: string[]): string {
  const cls = layer.getClassName(),
    name = layer.name,
    c = config(layer);
  const x = inputs[0];
  const inShape = inputShapeOf(layer);
  switch (cls) {
    case 'Dense': {
      const [k, bias] = weightsOf(layer);
      const w = b.constant(`${name}_W`, k.shape, k.data);
      const y = b.op('Gemm', bias ? [x, w, b.constant(`${name}_b`, bias.shape, bias.data)] : [x, w], name);
      return activation(b, y, c.activation, `${name}_act`);
    }
    case 'Reshape': {
      const target = c.targetShape as number[];
      if (target.length === 1)
        return b.op('Reshape', [x, b.constant(`${name}_shape`, [2], BigInt64Array.from([0n, BigInt(target[0])]))], name);
      if (target.length !== 3) throw new Error(`ONNX export: reshape to ${JSON.stringify(target)} is not supported`);
      const nhwc = b.op('Reshape', [x, b.constant(`${name}_shape`, [4], BigInt64Array.from([0, ...target].map(BigInt)))], name);
      return b.op('Transpose', [nhwc], `${name}_nchw`, { perm: [0, 3, 1, 2] });
    }
    case 'Conv2D':
    case 'Conv2DTranspose':
    case 'DepthwiseConv2D': {
      const ws = weightsOf(layer);
      const [kernel, bias] = ws;
      const k = pair(c.kernelSize),
        s = pair(c.strides);
      if (pair(c.dilationRate ?? 1) !== 1) throw new Error(`ONNX export: dilated convolution ${name} is not supported`);
      const [, h, w] = inShape;
      let W: Float32Array, dims: number[];
      const attrs: Record<string, number | number[]> = { kernel_shape: [k, k], strides: [s, s] };
      const [, , kin, kout] = kernel.shape as [number, number, number, number];
      if (cls === 'DepthwiseConv2D') {
        W = permute(kernel.data, kernel.shape, [2, 3, 0, 1]);
        dims = [kin * kout, 1, k, k];
        attrs.group = kin;
      }
      // Conv2D [kh, kw, in, out] → (out, in, kh, kw); Conv2DTranspose [kh, kw, out, in] → (in, out, kh, kw)
      else {
        W = permute(kernel.data, kernel.shape, [3, 2, 0, 1]);
        dims = [kout, kin, k, k];
      }
      if (cls === 'Conv2DTranspose' && h === 1 && w === 1 && c.padding === 'valid') {
        // from a 1×1 map this is a matrix product (onnxruntime's ConvTranspose is slow at it):
        // (N, in) × (in, out·k·k) → (N, out, k, k), with the same (in, out, kh, kw) weights
        const [cin, cout] = dims;
        const flat = b.op('Flatten', [x], `${name}_flat`, { axis: 1 });
        let y = b.op('Gemm', [flat, b.constant(`${name}_W`, [cin, cout * k * k], W)], name);
        y = b.op(
          'Reshape',
          [y, b.constant(`${name}_shape`, [4], BigInt64Array.from([0n, BigInt(cout), BigInt(k), BigInt(k)]))],
          `${name}_map`,
        );
        if (bias) y = b.op('Add', [y, b.constant(`${name}_b`, [cout, 1, 1], bias.data)], `${name}_bias`);
        return activation(b, y, c.activation, `${name}_act`);
      }
      if (cls === 'Conv2DTranspose') {
        attrs.pads = convTransposePads(k, s, c.padding);
      } else attrs.pads = c.padding === 'same' ? samePads(h, w, k, s) : [0, 0, 0, 0];
      const ins = [x, b.constant(`${name}_W`, dims, W)];
      if (bias) ins.push(b.constant(`${name}_b`, bias.shape, bias.data));
      const y = b.op(cls === 'Conv2DTranspose' ? 'ConvTranspose' : 'Conv', ins, name, attrs);
      return activation(b, y, c.activation, `${name}_act`);
    }
    case 'BatchNormalization': {
      const ws = weightsOf(layer);
      const center = c.center !== false,
        scale = c.scale !== false;
      let i = 0;
      const ch = ws[ws.length - 1].shape[0];
      const gamma = scale ? ws[i++].data : new Float32Array(ch).fill(1);
      const beta = center ? ws[i++].data : new Float32Array(ch);
      const mean = ws[i++].data,
        variance = ws[i++].data;
      if (inShape.length !== 4 && inShape.length !== 2) throw new Error(`ONNX export: batch norm ${name} on rank ${inShape.length}`);
      return b.op(
        'BatchNormalization',
        [
          x,
          b.constant(`${name}_g`, [ch], gamma),
          b.constant(`${name}_b`, [ch], beta),
          b.constant(`${name}_m`, [ch], mean),
          b.constant(`${name}_v`, [ch], variance),
        ],
        name,
        { epsilon: { float: Number(c.epsilon ?? 1e-3) } },
      );
    }
    case 'ReLU': {
      const max = c.maxValue as number | null | undefined;
      if (max == null) return b.op('Relu', [x], name);
      return b.op(
        'Clip',
        [x, b.constant(`${name}_min`, [], Float32Array.of(0)), b.constant(`${name}_max`, [], Float32Array.of(max))],
        name,
      );
    }
    case 'LeakyReLU':
      return b.op('LeakyRelu', [x], name, { alpha: { float: Number(c.alpha ?? 0.3) } });
    case 'Activation':
      return activation(b, x, c.activation, name);
    case 'Add':
      return inputs.slice(1).reduce((acc, y, i) => b.op('Add', [acc, y], `${name}_${i}`), x);
    case 'GlobalAveragePooling2D':
      return b.op('Flatten', [b.op('GlobalAveragePool', [x], name)], `${name}_flat`, { axis: 1 });
    case 'Flatten':
      return b.op('Flatten', [inShape.length === 4 ? b.op('Transpose', [x], `${name}_nhwc`, { perm: [0, 2, 3, 1] }) : x], name, {
        axis: 1,
      });
    default:
      throw new Error(`ONNX export: layer ${name} (${cls}) is not supported`);
  }
}

/** ONNX bytes of a mapping (N, ds) → (N, dt). */
export function mappingToOnnx(mapping: tf.LayersModel): Uint8Array {
  const ds = mapping.inputs[0].shape[1] as number,
    dt = mapping.outputs[0].shape[1] as number;
  const b = new GraphBuilder();
  const y = walkModel(mapping as unknown as Layer & Container, ONNX_INPUT, (l, ins) => convertLayer(b, l, ins));
  b.nodes.push({ op: 'Identity', inputs: [y], outputs: [ONNX_OUTPUT], name: ONNX_OUTPUT });
  const graph: OnnxGraph = {
    name: mapping.name,
    nodes: b.nodes,
    initializers: b.initializers,
    inputs: [{ name: ONNX_INPUT, dims: ['batch', ds] }],
    outputs: [{ name: ONNX_OUTPUT, dims: ['batch', dt] }],
  };
  return encodeOnnxModel(graph);
}
