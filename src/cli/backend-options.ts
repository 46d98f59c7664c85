import { defaultThreads, initBackend, type BackendInfo, type BackendName } from '../backend/backend.js';
import { intOption, UsageError } from './args.js';

export async function backendFromArgs(values: Record<string, unknown>): Promise<BackendInfo> {
  const name = (values.backend as string | undefined) ?? 'auto';
  if (!['auto', 'wasm', 'cpu', 'tensorflow'].includes(name)) throw new UsageError(`--backend must be auto, wasm, cpu or tensorflow, got ${name}`);
  return initBackend({ backend: name as BackendName, threads: intOption(values, 'threads') ?? defaultThreads() });
}
