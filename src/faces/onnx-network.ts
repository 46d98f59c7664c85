// A zoo model's network (a TF.js graph model) run on onnxruntime: converted to ONNX once when loaded
// (src/onnx/graph-model.ts), then run on NHWC float batches; its outputs come back by position.
import path from 'node:path';
import type { Ort } from '../backend/onnxruntime.js';
import { fileHandler } from '../io/model-files.js';
import { graphModelToOnnx, loadGraphModelArtifacts } from '../onnx/graph-model.js';

export interface OnnxNetwork {
  /** NHWC input shape, batch -1 */
  inputShape: number[];
  outputs: { dims: number[] }[];
  /** one Float32Array per output, batch-major */
  run(nhwc: Float32Array, n: number): Promise<Float32Array[]>;
}

export async function loadOnnxNetwork(ort: Ort, modelJson: string, threads = 0): Promise<OnnxNetwork> {
  const { topology, weights, outputNames } = await loadGraphModelArtifacts(fileHandler(modelJson));
  const g = graphModelToOnnx(topology, weights, path.basename(modelJson, '.json'), outputNames);
  const session = await ort.InferenceSession.create(g.onnx, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
  });
  const [, h, w, c] = g.inputShape;
  return {
    inputShape: g.inputShape,
    outputs: g.outputs.map((o) => ({ dims: o.dims })),
    async run(nhwc, n) {
      if (nhwc.length !== n * h * w * c) throw new Error(`${modelJson}: input of ${nhwc.length} values for ${n}×${h}×${w}×${c}`);
      const out = await session.run({ [g.input]: new ort.Tensor('float32', nhwc, [n, h, w, c]) });
      return g.outputs.map((o) => out[o.name].data as Float32Array);
    },
  };
}
