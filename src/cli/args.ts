// Command-line parsing shared by every command: node:util parseArgs plus typed getters with clear errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: OptionSpec): Parsed {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }) as Parsed;
  } catch (e) {
    const msg = (e as Error).message;
    // node's wording for `--limit -1` ("argument is ambiguous") hides the real problem
    const amb = /Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(msg);
    if (amb) {
      const i = argv.indexOf(amb[1]);
      throw new UsageError(`${amb[1]} ${argv[i + 1] ?? ''}: a value may not start with '-' (numeric options take numbers ≥ 0)`);
    }
    throw new UsageError(msg.split('\n')[0]);
  }
}

export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/**
 * Every numeric option's allowed range, in one place: [min, max, min excluded?]. Options not listed:
 * integers ≥ 1 (counts and sizes), numbers > 0.
 */
const RANGES: Record<string, readonly [number, number, boolean?]> = {
  seed: [0, Number.MAX_SAFE_INTEGER],
  'lambda-rec': [0, Infinity],
  'lambda-adv': [0, Infinity],
  'val-fraction': [0, 0.95],
  'test-fraction': [0, 0.95, true],
};

function checkRange(name: string, n: number, integer: boolean): number {
  const [min, max, open] = RANGES[name] ?? (integer ? [1, Number.MAX_SAFE_INTEGER] : [0, Infinity, true]);
  if (open ? !(n > min) : !(n >= min)) throw new UsageError(`--${name} must be ${open ? '>' : '≥'} ${min}, got ${n}`);
  if (!(n <= max)) throw new UsageError(`--${name} must be ≤ ${max}, got ${n}`);
  return n;
}

/** A numeric option's value (undefined when absent), parsed and checked against its range once. */
function numericOption(values: Record<string, unknown>, name: string, integer: boolean): number | undefined {
  const v = values[name];
  if (v == null) return undefined;
  const n = Number(v);
  if (v === '' || !(integer ? Number.isInteger(n) : Number.isFinite(n)))
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
  return checkRange(name, n, integer);
}

export const intOption = (values: Record<string, unknown>, name: string) => numericOption(values, name, true);
export const numberOption = (values: Record<string, unknown>, name: string) => numericOption(values, name, false);

/** Options every compute command accepts. */
export const BACKEND_OPTIONS: OptionSpec = {
  backend: { type: 'string' },
  threads: { type: 'string' },
  runtime: { type: 'string' },
};
export const BACKEND_HELP = `  --backend NAME     auto (default: tfjs-node if installed, else wasm), wasm, cpu or tensorflow
  --threads N        wasm and onnxruntime threads (default: number of cores)
  --runtime R        auto (default): onnxruntime-node, where installed, runs the GAN architectures'
                     training steps, \`map\`, search and, in extraction, the zoo's networks (same
                     numbers within float tolerance, several times faster); onnx: require it; tfjs:
                     TF.js only, on the --backend above`;
