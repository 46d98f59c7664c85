// G, D and E (any TF.js layers model made of the layers below) emitted on the tape in training mode:
// weights are graph inputs in TF.js's own layout (fed from the variables every run) and transposed
// to ONNX's inside the graph, so their gradients come out in TF.js's layout too.
import type * as tf from '@tensorflow/tfjs';
import { convTransposePads, inputShapeOf, pair, samePads, walkModel, type Container } from './tfjs-layers.js';
import * as op from './ops.js';
import type { Tape } from './tape.js';

type Layer = tf.layers.Layer;
interface LayerVariable {
  read(): tf.Variable;
  shape: number[];
}

/** A weight fed to the graph: the variable, its graph input, and whether its gradient is an output. */
export interface WeightInput {
  input: string;
  variable: tf.Variable;
  trainable: boolean;
}
/** A batch-norm application whose batch statistics the graph outputs, in forward order. */
export interface BatchNormUse {
  layer: Layer;
  mean: string;
  variance: string;
}

export class NetworkEmitter {
  readonly weights: WeightInput[] = [];
  readonly batchNorms: BatchNormUse[] = [];
  private readonly byVariable = new Map<tf.Variable, string>();
  private given?: Map<tf.Variable, string>;

  /** `train`: the models whose trainable weights get gradients in this graph. */
  constructor(
    readonly t: Tape,
    private readonly train: Set<tf.LayersModel>,
  ) {}

  private weight(lv: LayerVariable, trainable: boolean): string {
    const v = lv.read();
    const given = this.given?.get(v);
    if (given) return given;
    const known = this.byVariable.get(v);
    if (known) return known;
    const input = this.t.input(`w${this.weights.length}_${v.name.replace(/[^A-Za-z0-9_]/g, '_')}`, v.shape, trainable);
    this.weights.push({ input, variable: v, trainable });
    this.byVariable.set(v, input);
    return input;
  }

  /**
   * Applies `model` to `x` (NCHW for images, (N, d) for features). A network of pointwise and
   * depthwise convolutions runs in the (C, N, H, W) layout inside (see ops.ts), the others in NCHW.
   * `weights`: values computed in the graph that stand for some of its variables (e.g. weights updated
   * by an optimiser step in the graph); they are neither graph inputs nor differentiated.
   */
  apply(model: tf.LayersModel, x: string, weights?: Map<tf.Variable, string>): string {
    const trainable = this.train.has(model) && !weights;
    const cnhw = t4(this.t, x) && channelsOuterFits(model);
    const input = cnhw ? op.transpose(this.t, x, [1, 0, 2, 3]) : x;
    this.given = weights;
    try {
      return walkModel(model as unknown as Layer & Container, input, (layer, inputs) =>
        cnhw ? this.layerCnhw(layer, inputs, trainable) : this.layer(layer, inputs, trainable),
      );
    } finally {
      this.given = undefined;
    }
  }

  /** The layers channelsOuterFits admits, on (C, N, H, W) maps. */
  private layerCnhw(layer: Layer, inputs: string[], trainable: boolean): string {
    const t = this.t,
      c = layer.getConfig() as Record<string, unknown>;
    const ws = (layer as unknown as { weights: LayerVariable[] }).weights;
    const w = (i: number) => this.weight(ws[i], trainable);
    const x = inputs[0];
    switch (layer.getClassName()) {
      case 'Conv2D': {
        const [cin] = t.shape(x),
          cout = Number(c.filters);
        let y = op.pointwiseCnhw(t, x, op.reshape(t, w(0), [cin, cout]));
        if (c.useBias) y = op.add(t, y, op.reshape(t, w(1), [cout, 1, 1, 1]));
        return this.activation(y, c.activation, layer.name);
      }
      case 'DepthwiseConv2D': {
        const [, , h, wd] = t.shape(x),
          k = pair(c.kernelSize),
          s = pair(c.strides ?? 1);
        const pads = c.padding === 'same' ? samePads(h, wd, k, s) : [0, 0, 0, 0];
        // [k, k, C, 1] → (C, 1, k, k)
        let y = op.depthwiseCnhw(t, x, op.transpose(t, w(0), [2, 3, 0, 1]), { stride: s, pads });
        if (c.useBias) y = op.add(t, y, op.reshape(t, w(1), [t.shape(x)[0], 1, 1, 1]));
        return this.activation(y, c.activation, layer.name);
      }
      case 'BatchNormalization':
        return this.batchNorm(layer, x, w(0), w(1), 0);
      case 'GlobalAveragePooling2D':
        return op.transpose(t, op.globalAveragePool(t, x), [1, 0]); // (C, N) → (N, C)
      case 'Dense':
        if (!t4(t, x)) return this.layer(layer, inputs, trainable);
        throw new Error(`training graph: ${layer.name} (Dense) on a map; pool it first`);
      default:
        return this.layer(layer, inputs, trainable); // layout-free: ReLU, Add, Activation
    }
  }

  private batchNorm(layer: Layer, x: string, gamma: string, beta: string, channelAxis: number): string {
    const c = layer.getConfig() as Record<string, unknown>;
    if (c.center === false || c.scale === false) throw new Error(`training graph: ${layer.name} without centre or scale`);
    const { y, stats } = op.batchNormTraining(this.t, x, gamma, beta, Number(c.epsilon ?? 1e-3), channelAxis);
    this.batchNorms.push({ layer, ...stats });
    return y;
  }

  private layer(layer: Layer, inputs: string[], trainable: boolean): string {
    const t = this.t,
      c = layer.getConfig() as Record<string, unknown>;
    const ws = (layer as unknown as { weights: LayerVariable[] }).weights;
    const w = (i: number) => this.weight(ws[i], trainable);
    const x = inputs[0];
    const k = pair(c.kernelSize),
      s = pair(c.strides ?? 1);
    const cls = layer.getClassName();
    switch (cls) {
      case 'Reshape': {
        const target = c.targetShape as number[];
        const [n] = t.shape(x);
        // (N, d) → a 1×1 map: NHWC [1, 1, d] is NCHW (d, 1, 1)
        if (target.length === 3 && target[0] === 1 && target[1] === 1) return op.reshape(t, x, [n, target[2], 1, 1]);
        throw new Error(`training graph: reshape to ${JSON.stringify(target)} is not supported`);
      }
      case 'Conv2DTranspose': {
        const [n, cin, h, wd] = t.shape(x);
        const cout = t.shape(w(0))[2];
        let y: string;
        if (h === 1 && wd === 1 && c.padding === 'valid') {
          // From a 1×1 map a transposed convolution is a matrix product, here against the TF.js kernel
          // [k, k, out, in] read as (k·k·out, in): no transpose of the (large) weight in either direction.
          const wm = op.reshape(t, w(0), [k * k * cout, cin]);
          const yk = op.dense(t, op.reshape(t, x, [n, cin]), wm, undefined, true);
          y = op.transpose(t, op.reshape(t, yk, [n, k, k, cout]), [0, 3, 1, 2]);
        } else if (s === 1 && c.padding === 'valid') {
          y = op.convTransposeProduct(t, x, w(0));
        } else {
          const kernel = op.transpose(t, w(0), [3, 2, 0, 1]); // [k, k, out, in] → (in, out, k, k)
          y = op.convTranspose(t, x, kernel, { stride: s, pads: convTransposePads(k, s, c.padding) });
        }
        if (c.useBias) y = op.add(t, y, op.reshape(t, w(1), [cout, 1, 1]));
        return this.activation(y, c.activation, layer.name);
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const [, cin, h, wd] = t.shape(x);
        const depthwise = cls === 'DepthwiseConv2D';
        if (depthwise && Number(c.depthMultiplier ?? 1) !== 1) throw new Error(`training graph: ${layer.name} has a depth multiplier`);
        // Conv2D [k, k, in, out] → (out, in, k, k); DepthwiseConv2D [k, k, in, 1] → (in, 1, k, k)
        const kernel = op.transpose(t, w(0), depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1]);
        const pads = c.padding === 'same' ? samePads(h, wd, k, s) : [0, 0, 0, 0];
        const bias = c.useBias ? w(1) : undefined;
        return this.activation(op.conv(t, x, kernel, { stride: s, pads }, depthwise ? cin : 1, bias), c.activation, layer.name);
      }
      case 'BatchNormalization':
        return this.batchNorm(layer, x, w(0), w(1), 1);
      case 'ReLU':
        return op.relu(t, x, (c.maxValue as number | null | undefined) ?? undefined);
      case 'LeakyReLU':
        return op.leakyRelu(t, x, Number(c.alpha ?? 0.3));
      case 'Activation':
        return this.activation(x, c.activation, layer.name);
      case 'Add':
        return inputs.slice(1).reduce((acc, y) => op.add(t, acc, y), x);
      case 'GlobalAveragePooling2D':
        return op.globalAveragePool(t, x);
      case 'Flatten': {
        const s4 = t.shape(x);
        if (s4.length !== 4) return x;
        // TF.js flattens NHWC
        return op.reshape(t, op.transpose(t, x, [0, 2, 3, 1]), [s4[0], s4[1] * s4[2] * s4[3]]);
      }
      case 'Dense':
        return this.activation(op.dense(t, x, w(0), c.useBias ? w(1) : undefined), c.activation, layer.name);
      default:
        throw new Error(
          `training graph: layer ${layer.name} (${cls}) is not supported (input shape ${JSON.stringify(inputShapeOf(layer))})`,
        );
    }
  }

  private activation(x: string, act: unknown, name: string): string {
    if (act == null || act === 'linear') return x;
    if (act === 'tanh') return op.tanh(this.t, x);
    if (act === 'relu') return op.relu(this.t, x);
    throw new Error(`training graph: activation "${String(act)}" of ${name} is not supported`);
  }
}

const t4 = (t: Tape, x: string) => t.shape(x).length === 4;
const LAYOUT_FREE = new Set(['InputLayer', 'BatchNormalization', 'ReLU', 'Activation', 'Add', 'GlobalAveragePooling2D', 'Dense']);

/** Whether every layer of `model` can run in the (C, N, H, W) layout: its convolutions all pointwise or depthwise. */
function channelsOuterFits(model: tf.LayersModel): boolean {
  return model.layers.every((l) => {
    const c = l.getConfig() as Record<string, unknown>;
    if (l.getClassName() === 'Conv2D') return pair(c.kernelSize) === 1 && pair(c.strides ?? 1) === 1 && pair(c.dilationRate ?? 1) === 1;
    if (l.getClassName() === 'DepthwiseConv2D') return Number(c.depthMultiplier ?? 1) === 1;
    return LAYOUT_FREE.has(l.getClassName());
  });
}
