// One rule for every command that writes: an --out is a new path, an empty directory, or a previous
// output of the same kind (then replaced atomically); anything else is refused unless --force. An
// output may never be, contain or sit inside one of the command's inputs.
import { isWithin } from '../core/paths.js';
import fs from 'node:fs';
import path from 'node:path';

export class OutputError extends Error {}

/** What kind of output a directory holds: the manifest file a previous output of that kind has. */
export interface OutputKind {
  label: string;
  isPrevious: (dir: string) => boolean;
}

const real = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/** Refuses an output path that is, contains or lies inside one of `inputs`. */
export function checkNotInput(out: string, inputs: string[], option = '--out'): void {
  const o = real(out);
  for (const input of inputs) {
    const i = real(input);
    if (isWithin(o, i) || isWithin(i, o)) throw new OutputError(`${option} ${out}: may not be, contain or lie inside the input ${input}`);
  }
}

/**
 * Checks that `out` may be written as a `kind` output: absent, an empty directory, or a previous
 * output of that kind; else refused (with `force`, replaced).
 */
export function checkOutputDir(out: string, kind: OutputKind, inputs: string[], force = false, option = '--out'): void {
  checkNotInput(out, inputs, option);
  // an output is swapped into place by renaming: the working directory (or one above it) cannot be
  if (isWithin(real(process.cwd()), real(out)))
    throw new OutputError(`${option} ${out}: is the current directory or contains it; name a new directory`);
  if (!fs.existsSync(out)) return;
  const st = fs.lstatSync(out);
  if (!st.isDirectory()) {
    if (force) return;
    throw new OutputError(
      `${option} ${out}: is a ${st.isSymbolicLink() ? 'symbolic link' : 'file'}, not ${kind.label}; choose another path or pass --force to replace it`,
    );
  }
  if (kind.isPrevious(out) || force) return;
  const entries = fs.readdirSync(out);
  if (entries.length === 0) return;
  const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? `, … (${entries.length} entries)` : '');
  throw new OutputError(
    `${option} ${out}: exists and is not ${kind.label} (holds ${shown}); choose another path or pass --force to replace it`,
  );
}

/** Checks that a result file may be (over)written: absent, or a previous result by `isPrevious`, or --force. */
export function checkOutputFile(
  file: string,
  label: string,
  isPrevious: (text: string) => boolean,
  inputs: string[],
  force = false,
  option = '--json',
): void {
  checkNotInput(file, inputs, option);
  if (!fs.existsSync(file) || force) return;
  const st = fs.statSync(file);
  let text = '';
  if (st.isFile() && st.size < 64 << 20) text = fs.readFileSync(file, 'utf8');
  if (!st.isFile() || !isPrevious(text))
    throw new OutputError(`${option} ${file}: exists and is not ${label}; choose another path or pass --force to replace it`);
}

export const FEATURE_SET_OUTPUT: OutputKind = {
  label: 'a feature set',
  isPrevious: (d) => hasManifest(d, 'manifest.json', 'r3an.feature-set'),
};
export const MAPPER_OUTPUT: OutputKind = { label: 'a mapper', isPrevious: (d) => hasManifest(d, 'mapper.json', 'r3an.mapper') };
export const REPORT_OUTPUT: OutputKind = {
  label: 'an r3an report',
  isPrevious: (d) => {
    try {
      return /<meta name="generator" content="r3an/.test(fs.readFileSync(path.join(d, 'index.html'), 'utf8'));
    } catch {
      return false;
    }
  },
};
export const FORCE_HELP = `  --force            replace an --out that exists and is not a previous output of this command`;

/** Whether a directory holds a JSON manifest `file` whose "format" is `format`. */
export function hasManifest(dir: string, file: string, format: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')).format === format;
  } catch {
    return false;
  }
}
