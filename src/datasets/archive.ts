// Unpacks a .tgz into a directory that appears complete or not at all.
import fs from 'node:fs';
import { extract } from 'tar';
import { replaceDirAtomic } from '../io/atomic.js';

export class ArchiveError extends Error {}

/** Extracts `archive` and moves its single top-level folder `inner` to `dest` atomically. */
export async function extractTgz(archive: string, inner: string, dest: string): Promise<void> {
  await replaceDirAtomic(dest, async (tmp) => {
    const stage = `${tmp}.x`;
    fs.mkdirSync(stage, { recursive: true });
    try {
      await extract({ file: archive, cwd: stage, strict: true });
    } catch (e) {
      fs.rmSync(stage, { recursive: true, force: true });
      throw new ArchiveError(`${archive}: not a valid .tgz archive (${(e as Error).message}); delete it and fetch again`);
    }
    const top = `${stage}/${inner}`;
    if (!fs.existsSync(top)) {
      fs.rmSync(stage, { recursive: true, force: true });
      throw new ArchiveError(`${archive}: has no top-level folder ${inner}/`);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.renameSync(top, tmp);
    fs.rmSync(stage, { recursive: true, force: true });
  });
}
