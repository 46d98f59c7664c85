// Appends ONNX nodes and initializers under fresh names: what the inference exporter, the TF.js graph
// converter and face-api's graphs build with.
import type { OnnxNode, OnnxTensor } from './proto.js';

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private n = 0;
  fresh(base: string): string {
    return `${base}__${this.n++}`;
  }
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
