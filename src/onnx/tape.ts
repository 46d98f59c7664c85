// A reverse-mode differentiation tape that writes ONNX: each differentiable op emits its forward
// nodes and records how to emit its gradient nodes, so one training sub-step (forward, loss,
// backward) becomes a single graph that onnxruntime runs with its own multi-threaded kernels.
// Shapes are static (one graph per micro-batch size): every value's shape is known when emitted.
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValue } from './proto.js';

export type Shape = number[];

interface Recorded {
  out: string;
  backward: (grad: string) => void;
}

export class Tape {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValue[] = [];
  readonly outputs: OnnxValue[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly needsGrad = new Set<string>();
  private readonly records: Recorded[] = [];
  private readonly outputValues: [string, string][] = [];
  private readonly grads = new Map<string, string>();
  private n = 0;

  private fresh(base: string): string {
    return `${base.replace(/[^A-Za-z0-9_]/g, '_')}__${this.n++}`;
  }

  shape(v: string): Shape {
    const s = this.shapes.get(v);
    if (!s) throw new Error(`tape: unknown value ${v}`);
    return s;
  }

  input(name: string, shape: Shape, requiresGrad = false): string {
    this.inputs.push({ name, dims: shape });
    this.shapes.set(name, shape);
    if (requiresGrad) this.needsGrad.add(name);
    return name;
  }

  /** Declares `v` a graph output named `name` (see graph()). */
  output(v: string, name: string): void {
    this.outputValues.push([v, name]);
    this.outputs.push({ name, dims: this.shape(v) });
  }

  floats(base: string, dims: Shape, values: number[] | Float32Array): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims, data: Float32Array.from(values) });
    this.shapes.set(name, dims);
    return name;
  }
  scalar(v: number): string {
    return this.floats('c', [], [v]);
  }
  ints(base: string, values: number[]): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });
    this.shapes.set(name, [values.length]);
    return name;
  }

  /** Emits one node, no gradient bookkeeping (used inside backward functions too). */
  op(op: string, inputs: string[], shape: Shape, base = op, attrs?: Record<string, OnnxAttribute>): string {
    const out = this.fresh(base);
    this.nodes.push({ op, inputs, outputs: [out], name: out, ...(attrs ? { attrs } : {}) });
    this.shapes.set(out, shape);
    return out;
  }

  requiresGrad(v: string): boolean {
    return this.needsGrad.has(v);
  }

  /** Marks `out` as differentiable when any of `inputs` is, and keeps its backward function. */
  record(inputs: string[], out: string, backward: (grad: string) => void): void {
    if (!inputs.some((i) => this.needsGrad.has(i))) return;
    this.needsGrad.add(out);
    this.records.push({ out, backward });
  }

  /** Adds a gradient contribution to `v` (ignored when nothing upstream needs it). */
  addGrad(v: string, g: string): void {
    if (!this.needsGrad.has(v)) return;
    const prev = this.grads.get(v);
    this.grads.set(v, prev ? this.op('Add', [prev, g], this.shape(v), 'grad_sum') : g);
  }

  /** `v` as a value no gradient flows back through (a stop-gradient). */
  detach(v: string): string {
    return this.op('Identity', [v], this.shape(v), 'detached');
  }

  /**
   * Forgets the gradients of the last backward(), so that a second objective on the same tape (built
   * on values of the first, e.g. weights the first one's gradients updated) gets its own.
   */
  clearGrads(): void {
    this.grads.clear();
  }

  /** Seeds d(objective)/d(v) = weight for scalar values, then emits the whole backward pass. */
  backward(seeds: [string, number][]): void {
    for (const [v, w] of seeds) this.addGrad(v, this.scalar(w));
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i];
      const g = this.grads.get(r.out);
      if (g) r.backward(g);
    }
  }

  /** The gradient of an input after backward(); a zero tensor when the objective does not depend on it. */
  gradOf(v: string): string {
    const g = this.grads.get(v);
    if (g) return g;
    const shape = this.shape(v);
    return this.floats('zero_grad', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));
  }

  /**
   * The graph. An output computed by a node is that node's output renamed, so the node writes into the
   * output buffer: onnxruntime copies whatever passes through an Identity into a graph output (a 16 MB
   * gradient: ≈ 7 ms a run). Inputs, initializers and values output twice go through an Identity.
   */
  graph(name: string): OnnxGraph {
    const produced = new Set(this.nodes.flatMap((n) => n.outputs));
    const rename = new Map<string, string>(),
      identities: OnnxNode[] = [];
    for (const [v, out] of this.outputValues) {
      if (produced.has(v) && !rename.has(v)) rename.set(v, out);
      else identities.push({ op: 'Identity', inputs: [rename.get(v) ?? v], outputs: [out], name: out });
    }
    const renamed = (vs: string[]) => vs.map((v) => rename.get(v) ?? v);
    const nodes = this.nodes.map((n) => ({ ...n, inputs: renamed(n.inputs), outputs: renamed(n.outputs) }));
    return { name, nodes: [...nodes, ...identities], initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }
}
