// TF.js graph models (model.json of format "graph-model", as the zoo's npm packages ship them) as ONNX,
// so their networks can run on onnxruntime. The op set is what MobileNet-style face networks use:
// convolutions (plain, depthwise, fused with bias and activation), element-wise arithmetic, clamps,
// pooling, padding, means and sums, matrix products, reshapes, squeezes, normalisation and softmax. Feature maps run NCHW (TF is NHWC):
// the input is transposed once, kernels and per-channel constants are laid out for NCHW here, and
// 'SAME' padding becomes explicit pads from the static input size. Anything else fails with the op's name.
import * as tf from '@tensorflow/tfjs';
import { encodeOnnxModel, type OnnxNode } from './proto.js';
import { GraphBuilder } from './graph-builder.js';
import { axisPads } from './tfjs-layers.js';

/** Graph input (NHWC float) and the names of its outputs (TF node names, in the graph's order). */
export interface ConvertedGraph {
  onnx: Uint8Array;
  input: string;
  /** NHWC shape of the input, batch -1 */
  inputShape: number[];
  outputs: { name: string; dims: number[] }[];
}

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { list?: { i?: string[]; s?: string[] }; s?: string; i?: string; b?: boolean; f?: number; shape?: unknown }>;
}

interface Val {
  name: string;
  /** TF (NHWC) dims, batch -1; rank-4 values are stored NCHW in the ONNX graph */
  dims: number[];
}

interface Const {
  data: Float32Array | Int32Array;
  dims: number[];
}

const NHWC_TO_NCHW = [0, 3, 1, 2],
  NCHW_TO_NHWC = [0, 2, 3, 1];

/** Permutes a row-major tensor of shape `dims` by `perm` (like np.transpose). */
export function permute(data: Float32Array, dims: number[], perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const outDims = perm.map((p) => dims[p]);
  const stride = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const idx = new Array(dims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k] * stride[perm[k]];
    out[o] = data[src];
    for (let k = outDims.length - 1; k >= 0; k--) {
      if (++idx[k] < outDims[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

const ints = (n: TfNode, key: string): number[] => (n.attr?.[key]?.list?.i ?? []).map(Number);
const str = (n: TfNode, key: string): string => {
  const s = n.attr?.[key]?.s;
  return s == null ? '' : Buffer.from(s, 'base64').toString();
};
const strs = (n: TfNode, key: string): string[] => (n.attr?.[key]?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString());

/**
 * Converts a TF.js graph model (its topology and decoded weights) to ONNX (opset 13). `outputNames`: the
 * model signature's outputs (TF node names); without them, every computed value nobody consumes.
 */
export function graphModelToOnnx(
  topology: { node: TfNode[] },
  weights: Record<string, Const>,
  modelName = 'graph_model',
  outputNames?: string[],
): ConvertedGraph {
  const g = new GraphBuilder();
  const vals = new Map<string, Val>();
  // TF node names hold '/' and ':'; the ONNX names derived from them keep letters, digits and '_'
  const safe = (base: string) => base.replace(/[^A-Za-z0-9_]/g, '_');
  const constant = (base: string, dims: number[], data: Float32Array | BigInt64Array) => g.constant(safe(base), dims, data);
  const op = (type: string, inputs: string[], base: string, attrs?: OnnxNode['attrs']) => g.op(type, inputs, safe(base), attrs);
  const fail = (n: TfNode, why: string): never => {
    throw new Error(`TF.js graph → ONNX: ${n.op} node "${n.name}": ${why}`);
  };
  const clean = (i: string) => i.replace(/^\^/, '').replace(/:0$/, '');
  const inputsOf = (n: TfNode) => (n.input ?? []).filter((i) => !i.startsWith('^')).map(clean);
  const value = (n: TfNode, i: string): Val =>
    vals.get(i) ?? fail(n, `input "${i}" is not computed (a constant where a tensor was expected?)`);
  const constOf = (i: string): Const | undefined => weights[i];
  const float = (c: Const) => (c.data instanceof Float32Array ? c.data : Float32Array.from(c.data));

  /** A per-channel or scalar constant laid out to broadcast against `x` (NCHW when x is rank 4). */
  const broadcastConst = (n: TfNode, c: Const, x: Val): string => {
    const size = c.dims.reduce((a, b) => a * b, 1);
    if (x.dims.length !== 4 || size === 1) return constant(n.name, c.dims, float(c));
    const channels = x.dims[3];
    const isChannelVector = size === channels && c.dims.every((d, k) => d === 1 || k === c.dims.length - 1);
    if (!isChannelVector) fail(n, `constant of shape [${c.dims}] against a feature map of ${channels} channels`);
    return constant(n.name, [channels, 1, 1], float(c));
  };

  const produced: string[] = [];
  let input: Val | undefined;
  const set = (n: TfNode, name: string, dims: number[]) => {
    vals.set(n.name, { name, dims });
    produced.push(n.name);
  };

  for (const n of topology.node) {
    const ins = inputsOf(n);
    switch (n.op) {
      case 'Const':
        if (!weights[n.name]) fail(n, 'its value is not among the weights');
        break;
      case 'Placeholder': {
        if (input) fail(n, 'only single-input graphs are supported');
        const dims = ((n.attr?.shape?.shape as { dim?: { size: string }[] })?.dim ?? []).map((d) => Number(d.size));
        if (dims.length !== 4 || dims.slice(1).some((d) => !(d > 0))) fail(n, `input shape [${dims}]: a fixed-size NHWC image is needed`);
        input = { name: 'input', dims: [-1, dims[1], dims[2], dims[3]] };
        set(n, op('Transpose', ['input'], 'nchw', { perm: NHWC_TO_NCHW }), input.dims);
        break;
      }
      case 'Identity':
        set(n, value(n, ins[0]).name, value(n, ins[0]).dims);
        break;
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        const x = value(n, ins[0]),
          w = constOf(ins[1]) ?? fail(n, 'the kernel must be a constant');
        if (str(n, 'data_format') && str(n, 'data_format') !== 'NHWC') fail(n, `data_format ${str(n, 'data_format')}`);
        if (ints(n, 'dilations').some((d) => d !== 1)) fail(n, 'dilated convolutions are not supported');
        const [, sh, sw] = ints(n, 'strides');
        const [kh, kw, cin, cout] = w.dims;
        const depthwise = n.op.includes('Depthwise');
        // ONNX kernels: [out, in/group, kh, kw]; a depthwise output channel c·mult + m reads input channel c
        const kernel = depthwise
          ? constant(ins[1], [cin * cout, 1, kh, kw], permute(float(w), w.dims, [2, 3, 0, 1]))
          : constant(ins[1], [cout, cin, kh, kw], permute(float(w), w.dims, [3, 2, 0, 1]));
        const mode = str(n, 'padding');
        let top: number, bottom: number, left: number, right: number;
        if (mode === 'EXPLICIT') {
          const p = ints(n, 'explicit_paddings');
          [top, bottom, left, right] = [p[2], p[3], p[4], p[5]];
        } else if (mode === 'SAME' || mode === 'VALID') {
          [top, bottom] = axisPads(x.dims[1], kh, sh, mode);
          [left, right] = axisPads(x.dims[2], kw, sw, mode);
        } else fail(n, `padding ${mode}`);
        const outC = depthwise ? cin * cout : cout;
        const fused = strs(n, 'fused_ops');
        const bias =
          fused[0] === 'BiasAdd' ? constant(ins[2], [outC], float(constOf(ins[2]) ?? fail(n, 'the bias must be a constant'))) : undefined;
        if (fused.length && fused[0] !== 'BiasAdd') fail(n, `fused ops [${fused}]`);
        let y = op('Conv', [x.name, kernel, ...(bias ? [bias] : [])], n.name, {
          kernel_shape: [kh, kw],
          strides: [sh, sw],
          pads: [top!, left!, bottom!, right!],
          group: depthwise ? cin : 1,
        });
        y = activation(n, y, fused[1], ins[3], outC);
        const oh = Math.floor((x.dims[1] + top! + bottom! - kh) / sh) + 1,
          ow = Math.floor((x.dims[2] + left! + right! - kw) / sw) + 1;
        set(n, y, [-1, oh, ow, outC]);
        break;
      }
      case 'BiasAdd':
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Minimum':
      case 'Maximum': {
        const type = { BiasAdd: 'Add', Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Minimum: 'Min', Maximum: 'Max' }[
          n.op
        ]!;
        const [a, b] = ins;
        const ca = constOf(a),
          cb = constOf(b);
        if (ca && cb) fail(n, 'both operands are constants');
        const x = ca ? value(n, b) : value(n, a);
        const other = ca ? broadcastConst(n, ca, x) : cb ? broadcastConst(n, cb, x) : value(n, b).name;
        if (!ca && !cb && value(n, b).dims.length !== x.dims.length) fail(n, 'operands of different ranks');
        set(n, op(type, ca ? [other, x.name] : [x.name, other], n.name), x.dims);
        break;
      }
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Abs':
      case 'Neg':
        set(n, op(n.op, [value(n, ins[0]).name], n.name), value(n, ins[0]).dims);
        break;
      case 'Relu6': {
        const x = value(n, ins[0]);
        set(n, op('Clip', [x.name, constant('zero', [], Float32Array.of(0)), constant('six', [], Float32Array.of(6))], n.name), x.dims);
        break;
      }
      case 'Prelu': {
        const x = value(n, ins[0]);
        const alpha = constOf(ins[1]) ?? fail(n, 'alpha must be a constant');
        set(n, op('PRelu', [x.name, broadcastConst(n, alpha, x)], n.name), x.dims);
        break;
      }
      case 'MaxPool':
      case 'AvgPool': {
        const x = value(n, ins[0]);
        const [, kh, kw] = ints(n, 'ksize'),
          [, sh, sw] = ints(n, 'strides');
        const mode = str(n, 'padding');
        const [top, bottom] = axisPads(x.dims[1], kh, sh, mode),
          [left, right] = axisPads(x.dims[2], kw, sw, mode);
        const y = op(n.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [x.name], n.name, {
          kernel_shape: [kh, kw],
          strides: [sh, sw],
          pads: [top, left, bottom, right],
          ...(n.op === 'AvgPool' ? { count_include_pad: 0 } : {}),
        });
        set(n, y, [
          -1,
          Math.floor((x.dims[1] + top + bottom - kh) / sh) + 1,
          Math.floor((x.dims[2] + left + right - kw) / sw) + 1,
          x.dims[3],
        ]);
        break;
      }
      case 'Pad':
      case 'PadV2': {
        const x = value(n, ins[0]);
        const p = constOf(ins[1]) ?? fail(n, 'paddings must be a constant');
        if (x.dims.length !== 4) fail(n, 'only feature maps are padded');
        const fill = n.op === 'PadV2' ? (constOf(ins[2]) ?? fail(n, 'the fill value must be a constant')).data[0] : 0;
        const before = NHWC_TO_NCHW.map((a) => Number(p.data[2 * a])),
          after = NHWC_TO_NCHW.map((a) => Number(p.data[2 * a + 1]));
        const pads = constant('pads', [8], BigInt64Array.from([...before, ...after].map(BigInt)));
        const y = op('Pad', [x.name, pads, constant('fill', [], Float32Array.of(fill))], n.name, {});
        set(n, y, [-1, x.dims[1] + before[2] + after[2], x.dims[2] + before[3] + after[3], x.dims[3] + before[1] + after[1]]);
        break;
      }
      case 'Mean': {
        const x = value(n, ins[0]);
        const axes = [...(constOf(ins[1]) ?? fail(n, 'axes must be a constant')).data].map((a) => (a < 0 ? a + x.dims.length : a));
        const keep = Boolean(n.attr?.keep_dims?.b);
        if (x.dims.length !== 4 || keep || axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2)
          fail(n, 'only a global spatial mean without kept dimensions is supported');
        set(n, op('ReduceMean', [x.name], n.name, { axes: [2, 3], keepdims: 0 }), [-1, x.dims[3]]);
        break;
      }
      case 'Reshape': {
        let x = value(n, ins[0]);
        const shape = constOf(ins[1]) ?? fail(n, 'the shape must be a constant');
        if (shape.dims[0] === 4) fail(n, 'reshaping into a feature map is not supported');
        // the flattening order is NHWC's: a feature map goes back to NHWC first
        if (x.dims.length === 4) x = { name: op('Transpose', [x.name], 'nhwc', { perm: NCHW_TO_NHWC }), dims: x.dims };
        const target = [...shape.data].map(Number);
        const y = op('Reshape', [x.name, constant('shape', [target.length], BigInt64Array.from(target.map(BigInt)))], n.name);
        const known = x.dims.slice(1).reduce((a, b) => a * b, 1);
        set(
          n,
          y,
          target.map((d, k) =>
            k === 0
              ? -1
              : d === -1
                ? known /
                  target
                    .slice(1)
                    .filter((t) => t !== -1)
                    .reduce((a, b) => a * b, 1)
                : d,
          ),
        );
        break;
      }
      case 'MatMul':
      case '_FusedMatMul': {
        const a = value(n, ins[0]),
          w = constOf(ins[1]) ?? fail(n, 'the right operand must be a constant');
        if (a.dims.length !== 2 || n.attr?.transpose_a?.b) fail(n, 'only a 2-D left operand, untransposed, is supported');
        const transB = Boolean(n.attr?.transpose_b?.b);
        const out = transB ? w.dims[0] : w.dims[1];
        const fused = strs(n, 'fused_ops');
        if (fused.length && fused[0] !== 'BiasAdd') fail(n, `fused ops [${fused}]`);
        const bias =
          fused[0] === 'BiasAdd' ? [constant(ins[2], [out], float(constOf(ins[2]) ?? fail(n, 'the bias must be a constant')))] : [];
        let y = op('Gemm', [a.name, constant(ins[1], w.dims, float(w)), ...bias], n.name, { transB: transB ? 1 : 0 });
        y = activation(n, y, fused[1], ins[3], out);
        set(n, y, [-1, out]);
        break;
      }
      case 'Squeeze': {
        const x = value(n, ins[0]);
        const axes = ints(n, 'squeeze_dims').map((a) => (a < 0 ? a + x.dims.length : a));
        // a feature map may lose only its two spatial axes of size 1: TF's [n, 1, 1, c] → [n, c] is NCHW [n, c, 1, 1] → [n, c]
        const spatial =
          x.dims.length === 4 && axes.length === 2 && axes.includes(1) && axes.includes(2) && x.dims[1] === 1 && x.dims[2] === 1;
        if (x.dims.length === 4 && !spatial) fail(n, `squeezing axes [${axes}] of a feature map of shape [${x.dims}]`);
        const onnxAxes = spatial ? [2, 3] : axes;
        const axesName = constant('axes', [onnxAxes.length], BigInt64Array.from(onnxAxes.map(BigInt)));
        set(
          n,
          op('Squeeze', [x.name, axesName], n.name),
          x.dims.filter((_, k) => !axes.includes(k)),
        );
        break;
      }
      case 'Square': {
        const x = value(n, ins[0]);
        set(n, op('Mul', [x.name, x.name], n.name), x.dims);
        break;
      }
      case 'Sqrt':
      case 'Rsqrt': {
        const x = value(n, ins[0]);
        const root = op('Sqrt', [x.name], n.name);
        set(n, n.op === 'Sqrt' ? root : op('Reciprocal', [root], n.name), x.dims);
        break;
      }
      case 'Sum': {
        const x = value(n, ins[0]);
        if (x.dims.length === 4) fail(n, 'sums over feature maps are not supported');
        const axes = [...(constOf(ins[1]) ?? fail(n, 'axes must be a constant')).data].map((a) => (a < 0 ? a + x.dims.length : a));
        const keep = Boolean(n.attr?.keep_dims?.b);
        const axesName = constant('axes', [axes.length], BigInt64Array.from(axes.map(BigInt)));
        const dims = keep ? x.dims.map((d, k) => (axes.includes(k) ? 1 : d)) : x.dims.filter((_, k) => !axes.includes(k));
        set(n, op('ReduceSum', [x.name, axesName], n.name, { keepdims: keep ? 1 : 0 }), dims);
        break;
      }
      case 'Softmax': {
        const x = value(n, ins[0]);
        if (x.dims.length !== 2) fail(n, 'only rank-2 softmax is supported');
        set(n, op('Softmax', [x.name], n.name, { axis: -1 }), x.dims);
        break;
      }
      default:
        fail(n, 'this op is not supported');
    }
  }

  /** A fused activation after a convolution or product. */
  function activation(n: TfNode, y: string, act: string | undefined, alphaInput: string | undefined, channels: number): string {
    if (act == null) return y;
    if (act === 'Relu') return op('Relu', [y], `${n.name}_relu`);
    if (act === 'Relu6')
      return op('Clip', [y, constant('zero', [], Float32Array.of(0)), constant('six', [], Float32Array.of(6))], `${n.name}_relu6`);
    if (act === 'Prelu') {
      const alpha = constOf(alphaInput ?? '') ?? fail(n, 'the PReLU alpha must be a constant');
      return op('PRelu', [y, constant(`${n.name}_alpha`, [channels, 1, 1], float(alpha))], `${n.name}_prelu`);
    }
    return fail(n, `fused activation ${act}`);
  }

  if (!input) throw new Error('TF.js graph → ONNX: the graph has no input');
  const consumed = new Set(topology.node.flatMap((n) => inputsOf(n)));
  const outputs = outputNames?.length ? outputNames.map(clean) : produced.filter((p) => !consumed.has(p));
  for (const o of outputs) if (!vals.has(o)) throw new Error(`TF.js graph → ONNX: output "${o}" is not computed by the graph`);
  const graphOutputs = outputs.map((tfName) => {
    const v = vals.get(tfName)!;
    const name = `out_${g.fresh(safe(tfName))}`;
    const src = v.dims.length === 4 ? op('Transpose', [v.name], 'nhwc', { perm: NCHW_TO_NHWC }) : v.name;
    g.nodes.push({ op: 'Identity', inputs: [src], outputs: [name], name });
    return { name, tf: tfName, dims: v.dims };
  });
  const onnx = encodeOnnxModel({
    name: modelName,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: 'input', dims: ['n', ...input.dims.slice(1)] }],
    outputs: graphOutputs.map((o) => ({ name: o.name, dims: ['n', ...o.dims.slice(1)] })),
  });
  return { onnx, input: 'input', inputShape: input.dims, outputs: graphOutputs.map((o) => ({ name: o.name, dims: o.dims })) };
}

/** Loads a TF.js graph model's topology and weights (dequantised) through a TF.js IO handler. */
export async function loadGraphModelArtifacts(
  handler: tf.io.IOHandler,
): Promise<{ topology: { node: TfNode[] }; weights: Record<string, Const>; outputNames?: string[] }> {
  const art = await handler.load!();
  const topology = art.modelTopology as { node?: TfNode[] };
  if (!topology?.node) throw new Error('not a TF.js graph model (no graph nodes in its topology)');
  const specs = art.weightSpecs ?? [];
  const data = art.weightData;
  const tensors = tf.io.decodeWeights(data as ArrayBuffer, specs);
  const weights: Record<string, Const> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const d = t.dataSync();
    weights[name] = { data: d instanceof Int32Array ? Int32Array.from(d) : Float32Array.from(d as Float32Array), dims: t.shape };
    t.dispose();
  }
  const signature = art.signature as { outputs?: Record<string, unknown> } | undefined;
  return { topology: { node: topology.node }, weights, ...(signature?.outputs ? { outputNames: Object.keys(signature.outputs) } : {}) };
}
