// A worker thread that runs training sub-step graphs for OnnxStepRunner (step-pool.ts), so that the
// micro-batches of a step run side by side, each on one core: onnxruntime's grouped and transposed
// convolutions (the extractor's depthwise layers) use a second thread poorly, two one-thread runs at
// once use both cores. It holds one session per graph; weights arrive as shared memory, which it
// copies into arrays of its own (onnxruntime-node does not take shared memory), data as copies, and
// the outputs go back transferred.
import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { loadOnnxRuntime, sessionOptions } from '../../backend/onnxruntime.js';

/** One graph input: a weight in shared memory (copied here), or data sent with the run. */
export interface FeedSpec {
  name: string;
  dims: number[];
  shared?: SharedArrayBuffer;
  data?: Float32Array;
}
export interface WorkerRequest {
  id: number;
  key: string;
  /** the graph, with the first run of `key` on this worker */
  bytes?: Uint8Array;
  feeds: FeedSpec[];
}
export type WorkerReply = { id: number; outputs: Record<string, { data: Float32Array; dims: number[] }> } | { id: number; error: string };

if (parentPort) {
  const port = parentPort;
  const threads = (workerData as { threads: number }).threads;
  const sessions = new Map<string, Promise<InferenceSession>>();
  // per graph and input, the array a shared weight is copied into (reused from run to run)
  const own = new Map<string, Float32Array>();
  port.on('message', (req: WorkerRequest) => {
    void (async () => {
      try {
        const ort = await loadOnnxRuntime();
        if (!ort) throw new Error('onnxruntime-node did not load in a training worker');
        let session = sessions.get(req.key);
        if (!session) {
          if (!req.bytes) throw new Error(`training worker: no graph for ${req.key}`);
          session = ort.InferenceSession.create(req.bytes, sessionOptions(threads));
          sessions.set(req.key, session);
        }
        const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
        for (const f of req.feeds) {
          let data = f.data;
          if (f.shared) {
            const key = `${req.key}/${f.name}`;
            let mine = own.get(key);
            if (!mine || mine.length !== f.shared.byteLength / 4) own.set(key, (mine = new Float32Array(f.shared.byteLength / 4)));
            mine.set(new Float32Array(f.shared));
            data = mine;
          }
          feeds[f.name] = new ort.Tensor('float32', data!, f.dims);
        }
        const out = await (await session).run(feeds);
        const outputs: Record<string, { data: Float32Array; dims: number[] }> = {};
        const transfer = new Set<ArrayBuffer>();
        for (const [name, t] of Object.entries(out)) {
          const data = t.data as Float32Array;
          outputs[name] = { data, dims: [...t.dims] };
          transfer.add(data.buffer as ArrayBuffer);
        }
        port.postMessage({ id: req.id, outputs } satisfies WorkerReply, [...transfer]);
      } catch (e) {
        port.postMessage({ id: req.id, error: `${req.key}: ${(e as Error).message}` } satisfies WorkerReply);
      }
    })();
  });
}
