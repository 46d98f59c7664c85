// Typed arrays joined end to end.

/** `arrays` one after another in a new array made by `make(length)`. */
export function concatArrays<T extends Float32Array | Uint8Array>(arrays: readonly T[], make: (length: number) => T): T {
  const out = make(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
