// Atomic writes: readers only ever see a complete file or directory, never a half-written one.
import { processAlive } from '../core/paths.js';
import fs from 'node:fs';
import path from 'node:path';

function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}`);
}

/** Removes the staging siblings of `target` left by processes that no longer run (killed mid-write). */
export function removeStaleStaging(target: string): void {
  const dir = path.dirname(target),
    prefix = `.${path.basename(target)}.tmp-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid))
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempSibling(target);
  const fd = fs.openSync(tmp, 'w');
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
}

export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

/** A directory built under a temporary sibling and swapped into place on commit(): the old one stays intact until then. */
export function stageDir(target: string): { dir: string; commit(): void; abort(): void } {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  removeStaleStaging(target);
  const tmp = tempSibling(target);
  fs.mkdirSync(tmp); // exclusive: fails rather than reuse an existing directory
  return {
    dir: tmp,
    commit() {
      const old = fs.existsSync(target) ? `${tmp}.old` : undefined;
      if (old) fs.renameSync(target, old);
      fs.renameSync(tmp, target);
      if (old) fs.rmSync(old, { recursive: true, force: true });
    },
    abort() {
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Builds a whole directory atomically (see stageDir). */
export async function replaceDirAtomic(target: string, build: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const stage = stageDir(target);
  try {
    await build(stage.dir);
  } catch (e) {
    stage.abort();
    throw e;
  }
  stage.commit();
}

/** A file written through a temporary sibling and renamed on commit(); abort() leaves no trace. */
export class AtomicFileWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private position = 0;
  constructor(readonly target: string) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    this.tmp = tempSibling(target);
    this.fd = fs.openSync(this.tmp, 'w');
  }
  write(data: Uint8Array): void {
    fs.writeSync(this.fd, data, 0, data.byteLength, this.position);
    this.position += data.byteLength;
  }
  commit(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.target);
  }
  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
    fs.rmSync(this.tmp, { force: true });
  }
}
