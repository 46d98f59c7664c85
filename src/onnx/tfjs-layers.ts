// What both ONNX emitters (export.ts for inference, networks.ts for training graphs) read from TF.js
// layers models: the walk over a (nested) model in topological order, TF's padding rules as explicit
// pads, kernel sizes and input shapes.
import type * as tf from '@tensorflow/tfjs';

type Layer = tf.layers.Layer;
export interface Container {
  layers: Layer[];
  containerNodes?: Set<string>;
}
interface InboundNode {
  inboundLayers: Layer[];
  nodeIndices: number[];
}

/** Explicit [begin, end] pads of one spatial axis for TF's padding mode ('SAME' or 'VALID'). */
export function axisPads(size: number, k: number, s: number, mode: string): [number, number] {
  if (mode === 'VALID') return [0, 0];
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Explicit [top, left, bottom, right] pads of TF's 'same' for a forward convolution. */
export function samePads(inH: number, inW: number, k: number, s: number): number[] {
  const [t, b] = axisPads(inH, k, s, 'SAME'),
    [l, r] = axisPads(inW, k, s, 'SAME');
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

/** A TF.js layer's square kernel size or stride (a number or a pair). */
export const pair = (v: unknown): number => (Array.isArray(v) ? Number(v[0]) : Number(v));

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
    if (layer.getClassName() === 'InputLayer') {
      out.set(key, input);
      continue;
    }
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
