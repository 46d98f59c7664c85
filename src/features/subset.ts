// A new feature set holding some rows of another (same lineage, crops carried along).
import { FeatureSet, writeFeatureSet } from './feature-set.js';
import { gatherRows } from './rows.js';
import { FACE_SIZE } from '../core/face-size.js';

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
