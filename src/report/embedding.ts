// 2-D embeddings of feature rows with UMAP (umap-js), seeded so a report is reproducible.
import { UMAP } from 'umap-js';
import { groupRows } from '../features/rows.js';
import { mulberry32 } from '../core/rng.js';

export function umap2d(rows: Float32Array, dim: number, seed: number): [number, number][] {
  const n = rows.length / dim;
  if (n < 3) return Array.from({ length: n }, (_, i) => [i, 0]);
  const data = Array.from({ length: n }, (_, i) => Array.from(rows.subarray(i * dim, (i + 1) * dim)));
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, n - 1), minDist: 0.1, random: mulberry32(seed) });
  return umap.fit(data) as [number, number][];
}

/** Up to `maxIdentities` identities with the most images (≥ 2), at most `perIdentity` rows each. */
export function pickIdentities(identities: string[], maxIdentities: number, perIdentity: number): number[] {
  return [...groupRows(identities).entries()]
    .filter(([, r]) => r.length >= 2)
    .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxIdentities)
    .flatMap(([, r]) => r.slice(0, perIdentity))
    .sort((a, b) => a - b);
}
