// A trained mapping (TF.js layers model: ridge, MLP, or E(G(X))) as an ONNX graph, so `map` can run on
// onnxruntime where it is installed. Feature maps are NCHW in ONNX (TF.js is NHWC): kernels are
// transposed once here, and 'same' padding becomes explicit pads computed from the static shapes.
import * as tf from '@tensorflow/tfjs';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../io/onnx-proto.js';

export const ONNX_INPUT = 'source_feature';
export const ONNX_OUTPUT = 'mapped_feature';

type Layer = tf.layers.Layer;
export interface Container { layers: Layer[]; containerNodes?: Set<string> }
interface InboundNode { inboundLayers: Layer[]; nodeIndices: number[] }

class GraphBuilder {
  nodes: OnnxNode[] = [];
  initializers: OnnxTensor[] = [];
  private n = 0;
  fresh(base: string): string { return `${base}__${this.n++}`; }
  constant(base: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims, data });
    return name;
  }
  op(op: string, inputs: string[], base: string, attrs?: OnnxNode['attrs']): string {
    const out = this.fresh(base);
    this.nodes.push({ op, inputs, outputs: [out], name: out, ...(attrs ? { attrs } : {}) });
    return out;
  }
}

/** Permutes a row-major tensor of shape `dims` by `perm` (like np.transpose). */
function permute(data: Float32Array, dims: number[], perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const outDims = perm.map((p) => dims[p]);
  const stride = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const idx = new Array(dims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k] * stride[perm[k]];
    out[o] = data[src];
    for (let k = outDims.length - 1; k >= 0; k--) { if (++idx[k] < outDims[k]) break; idx[k] = 0; }
  }
  return out;
}

/** Explicit [top, left, bottom, right] pads of TF's 'same' for a forward convolution. */
export function samePads(inH: number, inW: number, k: number, s: number): number[] {
  const pad = (n: number) => { const out = Math.ceil(n / s); const total = Math.max((out - 1) * s + k - n, 0); return [Math.floor(total / 2), total - Math.floor(total / 2)]; };
  const [t, b] = pad(inH), [l, r] = pad(inW);
  return [t, l, b, r];
}

/** Explicit [top, left, bottom, right] pads of TF's transposed convolution ('same': output = input·stride). */
export function convTransposePads(k: number, s: number, padding: unknown): number[] {
  const total = padding === 'same' ? Math.max(k - s, 0) : 0;
  const lo = Math.floor(total / 2);
  return [lo, lo, total - lo, total - lo];
}

/** The layer's input shape (batch dimension included, as null); the same for every node it is applied at. */
export function inputShapeOf(layer: Layer): number[] {
  const shapes = (layer.inboundNodes[0] as unknown as { inputShapes: (number | null)[] | (number | null)[][] }).inputShapes;
  return (Array.isArray(shapes[0]) ? shapes[0] : shapes) as number[];
}

const weightsOf = (layer: Layer) => layer.getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape }));
const config = (layer: Layer) => layer.getConfig() as Record<string, unknown>;
/** A TF.js layer's square kernel size or stride (a number or a pair). */
export const pair = (v: unknown): number => (Array.isArray(v) ? Number(v[0]) : Number(v));

function activation(b: GraphBuilder, x: string, act: unknown, base: string): string {
  if (act == null || act === 'linear') return x;
  if (act === 'relu') return b.op('Relu', [x], base);
  if (act === 'tanh') return b.op('Tanh', [x], base);
  if (act === 'sigmoid') return b.op('Sigmoid', [x], base);
  throw new Error(`ONNX export: activation "${String(act)}" is not supported`);
}

function convertLayer(b: GraphBuilder, layer: Layer, inputs: string[]): string {
  const cls = layer.getClassName(), name = layer.name, c = config(layer);
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
      if (target.length === 1) return b.op('Reshape', [x, b.constant(`${name}_shape`, [2], BigInt64Array.from([0n, BigInt(target[0])]))], name);
      if (target.length !== 3) throw new Error(`ONNX export: reshape to ${JSON.stringify(target)} is not supported`);
      const nhwc = b.op('Reshape', [x, b.constant(`${name}_shape`, [4], BigInt64Array.from([0, ...target].map(BigInt)))], name);
      return b.op('Transpose', [nhwc], `${name}_nchw`, { perm: [0, 3, 1, 2] });
    }
    case 'Conv2D':
    case 'Conv2DTranspose':
    case 'DepthwiseConv2D': {
      const ws = weightsOf(layer);
      const [kernel, bias] = ws;
      const k = pair(c.kernelSize), s = pair(c.strides);
      if (pair(c.dilationRate ?? 1) !== 1) throw new Error(`ONNX export: dilated convolution ${name} is not supported`);
      const [, h, w] = inShape;
      let W: Float32Array, dims: number[];
      const attrs: Record<string, number | number[]> = { kernel_shape: [k, k], strides: [s, s] };
      const [, , kin, kout] = kernel.shape as [number, number, number, number];
      if (cls === 'DepthwiseConv2D') { W = permute(kernel.data, kernel.shape, [2, 3, 0, 1]); dims = [kin * kout, 1, k, k]; attrs.group = kin; }
      // Conv2D [kh, kw, in, out] → (out, in, kh, kw); Conv2DTranspose [kh, kw, out, in] → (in, out, kh, kw)
      else { W = permute(kernel.data, kernel.shape, [3, 2, 0, 1]); dims = [kout, kin, k, k]; }
      if (cls === 'Conv2DTranspose' && h === 1 && w === 1 && c.padding === 'valid') {
        // from a 1×1 map this is a matrix product (onnxruntime's ConvTranspose is slow at it):
        // (N, in) × (in, out·k·k) → (N, out, k, k), with the same (in, out, kh, kw) weights
        const [cin, cout] = dims;
        const flat = b.op('Flatten', [x], `${name}_flat`, { axis: 1 });
        let y = b.op('Gemm', [flat, b.constant(`${name}_W`, [cin, cout * k * k], W)], name);
        y = b.op('Reshape', [y, b.constant(`${name}_shape`, [4], BigInt64Array.from([0n, BigInt(cout), BigInt(k), BigInt(k)]))], `${name}_map`);
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
      const center = c.center !== false, scale = c.scale !== false;
      let i = 0;
      const ch = ws[ws.length - 1].shape[0];
      const gamma = scale ? ws[i++].data : new Float32Array(ch).fill(1);
      const beta = center ? ws[i++].data : new Float32Array(ch);
      const mean = ws[i++].data, variance = ws[i++].data;
      if (inShape.length !== 4 && inShape.length !== 2) throw new Error(`ONNX export: batch norm ${name} on rank ${inShape.length}`);
      return b.op('BatchNormalization', [x, b.constant(`${name}_g`, [ch], gamma), b.constant(`${name}_b`, [ch], beta), b.constant(`${name}_m`, [ch], mean), b.constant(`${name}_v`, [ch], variance)], name, { epsilon: { float: Number(c.epsilon ?? 1e-3) } });
    }
    case 'ReLU': {
      const max = c.maxValue as number | null | undefined;
      if (max == null) return b.op('Relu', [x], name);
      return b.op('Clip', [x, b.constant(`${name}_min`, [], Float32Array.of(0)), b.constant(`${name}_max`, [], Float32Array.of(max))], name);
    }
    case 'LeakyReLU': return b.op('LeakyRelu', [x], name, { alpha: { float: Number(c.alpha ?? 0.3) } });
    case 'Activation': return activation(b, x, c.activation, name);
    case 'Add': return inputs.slice(1).reduce((acc, y, i) => b.op('Add', [acc, y], `${name}_${i}`), x);
    case 'GlobalAveragePooling2D': return b.op('Flatten', [b.op('GlobalAveragePool', [x], name)], `${name}_flat`, { axis: 1 });
    case 'Flatten': return b.op('Flatten', [inShape.length === 4 ? b.op('Transpose', [x], `${name}_nhwc`, { perm: [0, 2, 3, 1] }) : x], name, { axis: 1 });
    default: throw new Error(`ONNX export: layer ${name} (${cls}) is not supported`);
  }
}

/**
 * Walks a (possibly nested) TF.js model applied to `input` in topological order, calling `convert`
 * for every plain layer with the values of its inputs; returns the output value.
 */
export function walkModel(model: Layer & Container, input: string, convert: (layer: Layer, inputs: string[]) => string): string {
  const any = (layer: Layer, inputs: string[]): string => {
    const cls = layer.getClassName();
    if (cls === 'Sequential' || cls === 'Model' || cls === 'Functional') {
      if (inputs.length !== 1) throw new Error(`ONNX: nested model ${layer.name} with ${inputs.length} inputs`);
      return walkModel(layer as unknown as Layer & Container, inputs[0], convert);
    }
    return convert(layer, inputs);
  };
  if (model.getClassName() === 'Sequential') {
    return model.layers.reduce((x, l) => (l.getClassName() === 'InputLayer' ? x : any(l, [x])), input);
  }
  // Functional: walk the layers in topological order through the nodes that belong to this model.
  const out = new Map<string, string>();
  const nodes = model.containerNodes ?? new Set<string>();
  let last = input;
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes as unknown as InboundNode[];
    const k = inbound.findIndex((_, i) => nodes.has(`${layer.name}_ib-${i}`));
    const key = `${layer.name}#${k}`;
    if (layer.getClassName() === 'InputLayer') { out.set(key, input); continue; }
    const node = inbound[k];
    const ins = node.inboundLayers.map((l, j) => {
      const v = out.get(`${l.name}#${node.nodeIndices[j]}`);
      if (v == null) throw new Error(`ONNX: ${layer.name} reads ${l.name}, which has not been converted`);
      return v;
    });
    last = any(layer, ins);
    out.set(key, last);
  }
  return last;
}

/** ONNX bytes of a mapping (N, ds) → (N, dt). */
export function mappingToOnnx(mapping: tf.LayersModel): Uint8Array {
  const ds = mapping.inputs[0].shape[1] as number, dt = mapping.outputs[0].shape[1] as number;
  const b = new GraphBuilder();
  const y = walkModel(mapping as unknown as Layer & Container, ONNX_INPUT, (l, ins) => convertLayer(b, l, ins));
  b.nodes.push({ op: 'Identity', inputs: [y], outputs: [ONNX_OUTPUT], name: ONNX_OUTPUT });
  const graph: OnnxGraph = {
    name: mapping.name, nodes: b.nodes, initializers: b.initializers,
    inputs: [{ name: ONNX_INPUT, dims: ['batch', ds] }], outputs: [{ name: ONNX_OUTPUT, dims: ['batch', dt] }],
  };
  return encodeOnnxModel(graph);
}
