// Worker threads (step-worker.ts) that run a training step's micro-batches side by side, one each,
// for OnnxStepRunner. Each worker keeps its own sessions, created from the graph bytes sent with its
// first run of a graph.
import { Worker } from 'node:worker_threads';
import type { FeedSpec, WorkerReply, WorkerRequest } from './step-worker.js';

type Outputs = Record<string, { data: Float32Array; dims: number[] }>;

export class StepWorkerPool {
  private readonly workers: { worker: Worker; graphs: Set<string>; inFlight: number; failed?: Error }[];
  private readonly pending = new Map<number, { resolve: (o: Outputs) => void; reject: (e: Error) => void }>();
  private next = 0;

  /** `size` workers, each running its graphs on `threads` onnxruntime threads. */
  constructor(
    readonly size: number,
    threads: number,
  ) {
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(new URL('./step-worker.js', import.meta.url), { workerData: { threads } });
      worker.unref(); // an idle pool does not keep the process alive
      worker.on('message', (reply: WorkerReply) => {
        const p = this.pending.get(reply.id);
        if (!p) return;
        this.pending.delete(reply.id);
        if ('error' in reply) p.reject(new Error(`training worker: ${reply.error}`));
        else p.resolve(reply.outputs);
      });
      const entry: StepWorkerPool['workers'][number] = { worker, graphs: new Set<string>(), inFlight: 0 };
      worker.on('error', (e) => this.fail(entry, e));
      worker.on('exit', (code) => this.fail(entry, new Error(`training worker exited${code ? ` with code ${code}` : ''}`)));
      return entry;
    });
  }

  /**
   * A worker that failed or exited: every run in flight fails with `e` (pending runs are not kept per
   * worker, and a step awaits all of its runs), and so does any later run on that worker.
   */
  private fail(entry: StepWorkerPool['workers'][number], e: Error): void {
    entry.failed ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Runs graph `key` (its ONNX `bytes`, sent once per worker) on worker `index` with `feeds`. */
  run(index: number, key: string, bytes: Uint8Array, feeds: FeedSpec[]): Promise<Outputs> {
    const w = this.workers[index];
    if (w.failed) return Promise.reject(w.failed);
    const id = this.next++;
    const first = !w.graphs.has(key);
    w.graphs.add(key);
    // a run in flight keeps the process alive until it answers
    if (w.inFlight++ === 0) w.worker.ref();
    return new Promise<Outputs>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: WorkerRequest = { id, key, feeds, ...(first ? { bytes } : {}) };
      w.worker.postMessage(req);
    }).finally(() => {
      if (--w.inFlight === 0) w.worker.unref();
    });
  }

  /** Stops the workers (their sessions go with them); one that has already exited is done. */
  async release(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}
