// Row gathering on flat row-major matrices (features, crops): one helper instead of a loop per caller.
import { isOriginal } from './feature-set.js';
export function gatherRows<T extends Float32Array | Uint8Array>(m: T, rowLength: number, rows: readonly number[]): T {
  const out = new (m.constructor as new (n: number) => T)(rows.length * rowLength);
  rows.forEach((r, k) => out.set(m.subarray(r * rowLength, (r + 1) * rowLength), k * rowLength));
  return out;
}

/** Row of each image path (its first unflipped row): the join key between feature sets of the same images. */
export function rowByPath(items: readonly { path: string; flipped?: boolean; augment?: number }[]): Map<string, number> {
  const row = new Map<string, number>();
  items.forEach((it, i) => {
    if (isOriginal(it) && !row.has(it.path)) row.set(it.path, i);
  });
  return row;
}

/** Rows of two item lists that show the same image (by path, unflipped rows only), in the first list's order. */
export function pairRowsByPath(
  a: readonly { path: string; flipped?: boolean; augment?: number }[],
  b: readonly { path: string; flipped?: boolean; augment?: number }[],
): { a: number[]; b: number[] } {
  const bRow = rowByPath(b);
  const out = { a: [] as number[], b: [] as number[] };
  a.forEach((it, i) => {
    const j = bRow.get(it.path);
    if (isOriginal(it) && j != null) {
      out.a.push(i);
      out.b.push(j);
    }
  });
  return out;
}

/** Row indices grouped by key (e.g. identity), groups and rows in first-seen order. */
export function groupRows(keys: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  return groups;
}
