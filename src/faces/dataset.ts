// A face dataset laid out one folder per identity (the LFW layout): DIR/<identity>/<image>.
import fs from 'node:fs';
import path from 'node:path';
import type { FeatureItem } from '../features/feature-set.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.gif']);

export interface DatasetOptions {
  limit?: number;
  perIdentity?: number;
  minPerIdentity?: number;
  /** keep only these relative paths (e.g. the images an LFW pairs.txt names) */
  onlyPaths?: ReadonlySet<string>;
}

/** Lists images in a stable order (identity, then file name), so every model sees the same list. */
export function listDataset(root: string, opts: DatasetOptions = {}): FeatureItem[] {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`${root}: not a directory`);
  // one rule for links, as for images: a dataset may be a tree of symlinks, so identity folders that
  // are links to directories count like real ones (statSync follows links; broken links are skipped)
  const isDir = (p: string) => {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const ids = fs
    .readdirSync(root)
    .filter((name) => !name.startsWith('.') && isDir(path.join(root, name)))
    .sort();
  if (ids.length === 0) throw new Error(`${root}: no identity folders (expected DIR/<identity>/<image>)`);
  const items: FeatureItem[] = [];
  for (const id of ids) {
    let files = fs
      .readdirSync(path.join(root, id))
      .filter((f) => !f.startsWith('.') && IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase()))
      .sort();
    if (opts.minPerIdentity != null && files.length < opts.minPerIdentity) continue;
    if (opts.perIdentity != null) files = files.slice(0, opts.perIdentity);
    for (const f of files) if (!opts.onlyPaths || opts.onlyPaths.has(`${id}/${f}`)) items.push({ path: `${id}/${f}`, identity: id });
  }
  return opts.limit != null ? items.slice(0, opts.limit) : items;
}
