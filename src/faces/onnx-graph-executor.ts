// A TF.js GraphModel's execute() on onnxruntime. Libraries such as Human call `model.execute(x)`
// synchronously and do all their pre- and post-processing in TF.js; swapping only the network's
// execution keeps what they compute and moves the arithmetic to onnxruntime (several times faster on
// CPU than TF.js's wasm backend). The graph is converted by src/onnx/graph-model.ts. onnxruntime-node's
// public run() is asynchronous only in that it defers the same native call to the next tick, so the
// native session is called directly here; where this onnxruntime-node has no such session, or a graph
// uses an op the converter lacks, the model keeps TF.js's execute and the caller is told.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { sessionOptions, type Ort } from '../backend/onnxruntime.js';
import { fileHandler } from '../io/model-files.js';
import { graphModelToOnnx, loadGraphModelArtifacts } from '../onnx/graph-model.js';

const require = createRequire(import.meta.url);

interface NativeTensor {
  data: Float32Array;
  dims: readonly number[];
}
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, offset: number, length: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, null>, options: object): Record<string, NativeTensor>;
}

type NativeBinding = { InferenceSession: new () => NativeSession };
let binding: NativeBinding | null | undefined;

/** onnxruntime-node's native binding (loaded once), or null where its layout differs from 1.x's. */
function nativeBinding(): NativeBinding | null {
  if (binding !== undefined) return binding;
  try {
    const b = require('onnxruntime-node/dist/binding') as { initOrt(): void; binding: NativeBinding };
    b.initOrt();
    const s = new b.binding.InferenceSession();
    binding = typeof s.run === 'function' && typeof s.loadModel === 'function' ? b.binding : null;
  } catch {
    binding = null;
  }
  return binding;
}

/** Where a network runs, as the lineage records it: 'onnxruntime', or 'TF.js (why not)'. */
export const runsOn = (whyNot: string | null): string => (whyNot ? `TF.js (${whyNot})` : 'onnxruntime');

/** Runs an ONNX graph synchronously: feeds by input name, outputs by name. */
export type SyncRun = (feeds: Record<string, tf.Tensor>, outputs: string[]) => tf.Tensor[];

/**
 * An ONNX graph as a synchronous function of TF.js tensors, or null where onnxruntime-node cannot.
 * One thread by default: the zoo's networks run one face at a time, and onnxruntime's two-thread pool
 * made extraction 2.2× slower on the 2-core machine (faceres 18.8 against 41.3 images/s).
 */
export function syncSession(ort: Ort, onnx: Uint8Array, threads = 1): SyncRun | null {
  const b = nativeBinding();
  if (!b) return null;
  const session = new b.InferenceSession();
  session.loadModel(onnx.buffer, onnx.byteOffset, onnx.byteLength, sessionOptions(threads));
  return (feeds, outputs) => {
    const inputs = Object.fromEntries(
      Object.entries(feeds).map(([name, x]) => [
        name,
        new ort.Tensor('float32', x.dtype === 'float32' ? (x.dataSync() as Float32Array) : Float32Array.from(x.dataSync()), x.shape),
      ]),
    );
    const out = session.run(inputs, Object.fromEntries(outputs.map((o) => [o, null])), {});
    return outputs.map((o) => tf.tensor(out[o].data, [...out[o].dims]));
  };
}

/** The part of a TF.js GraphModel this needs. */
export interface ExecutableGraph {
  modelUrl?: string;
  outputNodes: string[];
  signature?: { outputs?: Record<string, { name?: string }> };
  execute(inputs: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap, outputs?: string | string[]): tf.Tensor | tf.Tensor[];
}

const clean = (name: string) => name.replace(/:0$/, '');

/**
 * Makes `model.execute` run on onnxruntime. Returns null on success, or why the model stays on TF.js.
 * `file`: the model.json it was loaded from (default: its file:// modelUrl).
 */
export async function executeOnOnnx(
  model: ExecutableGraph,
  ort: Ort,
  { file, threads = 1 }: { file?: string; threads?: number } = {},
): Promise<string | null> {
  const url = file ?? (model.modelUrl?.startsWith('file://') ? fileURLToPath(model.modelUrl) : undefined);
  if (!url) return 'not loaded from a file';
  if (!nativeBinding()) return 'this onnxruntime-node has no synchronous native session';
  const { topology, weights } = await loadGraphModelArtifacts(fileHandler(url));
  // output names may be the signature's aliases ('output_mesh') for graph tensors ('Identity_2:0')
  const aliases = model.signature?.outputs ?? {};
  const graphName = (n: string) => clean(aliases[n]?.name ?? n);
  // one session per list of requested outputs (a library asks for the same few lists every time)
  const sessions = new Map<string, { run: SyncRun; input: string; outputs: string[] }>();
  const sessionFor = (names: string[]) => {
    const key = names.join('\n');
    let s = sessions.get(key);
    if (!s) {
      const g = graphModelToOnnx(topology, weights, 'graph', names);
      s = { run: syncSession(ort, g.onnx, threads)!, input: g.input, outputs: g.outputs.map((o) => o.name) };
      sessions.set(key, s);
    }
    return s;
  };
  const defaultOutputs = model.outputNodes.map(graphName);
  try {
    sessionFor(defaultOutputs); // converts now: an unsupported op leaves the model on TF.js
  } catch (e) {
    return (e as Error).message;
  }
  model.execute = (inputs, outputs) => {
    const list = inputs instanceof tf.Tensor ? [inputs] : Array.isArray(inputs) ? inputs : Object.values(inputs);
    if (list.length !== 1) throw new Error(`${url}: onnxruntime execute takes one input, got ${list.length}`);
    const s = sessionFor(outputs == null ? defaultOutputs : (typeof outputs === 'string' ? [outputs] : outputs).map(graphName));
    const tensors = s.run({ [s.input]: list[0] }, s.outputs);
    // as TF.js: one tensor for one output asked by name or a single-output graph, else a list
    return typeof outputs === 'string' || tensors.length === 1 ? tensors[0] : tensors;
  };
  return null;
}
