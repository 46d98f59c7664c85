import { defaultThreads, initBackend, type BackendInfo, type BackendName } from '../backend/backend.js';
import { chooseRuntime, RUNTIMES, type Ort, type Runtime } from '../backend/onnxruntime.js';
import { intOption, UsageError } from './args.js';

/** The TF.js backend, and onnxruntime where --runtime picks it (null: TF.js only). */
export interface Backend extends BackendInfo {
  runtime: Runtime;
  ort: Ort | null;
}

export async function backendFromArgs(values: Record<string, unknown>): Promise<Backend> {
  const name = (values.backend as string | undefined) ?? 'auto';
  if (!['auto', 'wasm', 'cpu', 'tensorflow'].includes(name))
    throw new UsageError(`--backend must be auto, wasm, cpu or tensorflow, got ${name}`);
  const runtime = ((values.runtime as string | undefined) ?? 'auto') as Runtime;
  if (!RUNTIMES.includes(runtime)) throw new UsageError(`--runtime must be ${RUNTIMES.join(', ')}, got ${runtime}`);
  const ort = await chooseRuntime(runtime);
  const info = await initBackend({ backend: name as BackendName, threads: intOption(values, 'threads') ?? defaultThreads() });
  return { ...info, runtime, ort };
}

/** "wasm (2 threads) + onnxruntime": what the log and the manifests record. */
export function describeBackend(b: Backend): string {
  const threads = `${b.threads} thread${b.threads > 1 ? 's' : ''}`;
  return `${b.name}${b.name === 'wasm' ? ` (${threads})` : ''}${b.ort ? ' + onnxruntime' : ''}`;
}
