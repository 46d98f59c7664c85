// LFW's pairs.txt (View 2: 10 folds of 300 same + 300 different pairs) resolved to feature-set rows.
import fs from 'node:fs';
import type { FeatureItem } from '../features/feature-set.js';
import { rowByPath } from '../features/rows.js';

export interface IndexedPair {
  a: number;
  b: number;
  same: boolean;
  fold: number;
}

const imagePath = (name: string, n: string) => `${name}/${name}_${n.padStart(4, '0')}.jpg`;

function parsePairLines(file: string): { fold: number; pa: string; pb: string; same: boolean }[] {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const [folds, perFold] = (lines[0] ?? '').split(/\s+/).map(Number);
  if (!(folds > 0 && perFold > 0)) throw new Error(`${file}: first line must be "<folds> <pairs per fold>"`);
  return lines.slice(1).map((line, k) => {
    const f = line.split(/\s+/);
    const fold = Math.floor(k / (2 * perFold));
    if (f.length === 3) return { fold, pa: imagePath(f[0], f[1]), pb: imagePath(f[0], f[2]), same: true };
    if (f.length === 4) return { fold, pa: imagePath(f[0], f[1]), pb: imagePath(f[2], f[3]), same: false };
    throw new Error(`${file}:${k + 2}: expected "name n1 n2" or "name1 n1 name2 n2"`);
  });
}

/** The relative image paths a pairs file names (to extract only the protocol's images). */
export function lfwPairImagePaths(file: string): Set<string> {
  return new Set(parsePairLines(file).flatMap((p) => [p.pa, p.pb]));
}

/**
 * Parses pairs.txt and maps its images to rows of `items` (by path, unflipped rows). Pairs whose images
 * have no row (no face found) are returned in `missing` and left out.
 */
export function readLfwPairs(file: string, items: FeatureItem[]): { pairs: IndexedPair[]; missing: number } {
  const row = rowByPath(items);
  const pairs: IndexedPair[] = [];
  let missing = 0;
  for (const { fold, pa, pb, same } of parsePairLines(file)) {
    const a = row.get(pa),
      b = row.get(pb);
    if (a == null || b == null) {
      missing++;
      continue;
    }
    pairs.push({ a, b, same, fold });
  }
  return { pairs, missing };
}
