// Command-line parsing shared by every command: node:util parseArgs plus typed getters with clear errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed { values: Record<string, string | boolean | undefined>; positionals: string[] }

export function parse(argv: string[], options: OptionSpec): Parsed {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as Parsed;
  } catch (e) { throw new UsageError((e as Error).message); }
}

export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function intOption(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v == null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

export function numberOption(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v == null) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

/** Options every compute command accepts. */
export const BACKEND_OPTIONS: OptionSpec = {
  backend: { type: 'string' },
  threads: { type: 'string' },
  runtime: { type: 'string' },
};
export const BACKEND_HELP = `  --backend NAME     auto (default: tfjs-node if installed, else wasm), wasm, cpu or tensorflow
  --threads N        wasm and onnxruntime threads (default: number of cores)
  --runtime R        auto (default): onnxruntime-node, where installed, runs the GAN architectures'
                     training steps and \`map\` (same numbers within float tolerance, several times
                     faster); onnx: require it; tfjs: TF.js only, on the --backend above`;
