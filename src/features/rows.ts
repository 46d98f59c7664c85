// Row gathering on flat row-major matrices (features, crops): one helper instead of a loop per caller.
export function gatherRows<T extends Float32Array | Uint8Array>(m: T, rowLength: number, rows: readonly number[]): T {
  const out = new (m.constructor as new (n: number) => T)(rows.length * rowLength);
  rows.forEach((r, k) => out.set(m.subarray(r * rowLength, (r + 1) * rowLength), k * rowLength));
  return out;
}
