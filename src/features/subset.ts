// A new feature set holding some rows of another (same lineage, crops carried along), or of several
// sets of one embedding space.
import { assertSameSpace, FeatureSet, writeFeatureSet } from './feature-set.js';
import { gatherRows } from './rows.js';
import { FACE_SIZE } from '../core/face-size.js';
import { concatArrays } from '../core/concat.js';

/** `skipped`: the source's skipped-image records that belong to the subset (default: none). */
export function writeFeatureSubset(
  set: FeatureSet,
  rows: readonly number[],
  dir: string,
  skipped?: { path: string; reason: string }[],
): void {
  const crops = set.hasCrops ? gatherRows(set.crops(), FACE_SIZE * FACE_SIZE * 3, rows) : undefined;
  writeFeatureSet(dir, {
    model: set.model,
    items: rows.map((r) => set.items[r]),
    features: gatherRows(set.rows(), set.dim, rows),
    ...(crops ? { crops } : {}),
    ...(set.manifest.mappedFrom ? { mappedFrom: set.manifest.mappedFrom } : {}),
    ...(set.manifest.dataset ? { dataset: set.manifest.dataset } : {}),
    ...(skipped?.length ? { skipped } : {}),
  });
}

/**
 * A new feature set of the given rows of several sets of one space (in order). Crops are carried only
 * when every set has them. Returns whether crops were carried.
 */
export function writeFeatureUnion(parts: { set: FeatureSet; rows: readonly number[] }[], dir: string): boolean {
  const first = parts[0].set;
  for (const p of parts.slice(1)) assertSameSpace(p.set.model, first.model, `${p.set.dir} vs ${first.dir}`);
  const withCrops = parts.every((p) => p.set.hasCrops);
  const cropLen = FACE_SIZE * FACE_SIZE * 3;
  writeFeatureSet(dir, {
    model: first.model,
    items: parts.flatMap((p) => p.rows.map((r) => p.set.items[r])),
    features: concatArrays(
      parts.map((p) => gatherRows(p.set.rows(), p.set.dim, p.rows)),
      (n) => new Float32Array(n),
    ),
    ...(withCrops
      ? {
          crops: concatArrays(
            parts.map((p) => gatherRows(p.set.crops(), cropLen, p.rows)),
            (n) => new Uint8Array(n),
          ),
        }
      : {}),
    ...(first.manifest.dataset ? { dataset: first.manifest.dataset } : {}),
  });
  return withCrops;
}
