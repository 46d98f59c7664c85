// Row gathering on flat row-major matrices (features, crops): one helper instead of a loop per caller.
export function gatherRows<T extends Float32Array | Uint8Array>(m: T, rowLength: number, rows: readonly number[]): T {
  const out = new (m.constructor as new (n: number) => T)(rows.length * rowLength);
  rows.forEach((r, k) => out.set(m.subarray(r * rowLength, (r + 1) * rowLength), k * rowLength));
  return out;
}

/** Rows of two item lists that show the same image (by path, unflipped rows only), in the first list's order. */
export function pairRowsByPath(a: readonly { path: string; flipped?: boolean }[], b: readonly { path: string; flipped?: boolean }[]): { a: number[]; b: number[] } {
  const bRow = new Map<string, number>();
  b.forEach((it, i) => { if (!it.flipped && !bRow.has(it.path)) bRow.set(it.path, i); });
  const out = { a: [] as number[], b: [] as number[] };
  a.forEach((it, i) => { const j = bRow.get(it.path); if (!it.flipped && j != null) { out.a.push(i); out.b.push(j); } });
  return out;
}
