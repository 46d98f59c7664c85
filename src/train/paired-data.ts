// Paired training data: rows of two feature sets of the same images, joined on the image path.
import { FeatureSet, FeatureSetError, isOriginal, rowKey } from '../features/feature-set.js';
import { FACE_SIZE } from '../core/face-size.js';
import { shuffled } from '../core/rng.js';
import { gatherRows } from '../features/rows.js';

export interface PairedData {
  n: number;
  ds: number;
  dt: number;
  x: Float32Array;
  y: Float32Array;
  /** uint8 NHWC RGB, n×56×56×3 (only when crops are available) */
  crops?: Uint8Array;
  identities: string[];
  paths: string[];
  /** false for rows of mirrored or augmented copies (absent: every row is an original) */
  original?: boolean[];
}

export interface Pairing {
  data: PairedData;
  unpairedSource: number;
  unpairedTarget: number;
}

/** Joins two feature sets on item path (and flip flag); refuses sets that do not pair at all. */
export function pairFeatureSets(source: FeatureSet, target: FeatureSet, withCrops: boolean): Pairing {
  const key = rowKey;
  // a repeated key would pair rows of different images (or one image with itself many times)
  for (const set of [source, target]) {
    const seen = new Set<string>();
    for (const it of set.items) {
      const k = key(it);
      if (seen.has(k))
        throw new FeatureSetError(`${set.dir}: image ${key(it)} is listed more than once; pairing by path needs each image once`);
      seen.add(k);
    }
  }
  const targetIndex = new Map(target.items.map((it, i) => [key(it), i]));
  const pairs: [number, number][] = [];
  source.items.forEach((it, i) => {
    const j = targetIndex.get(key(it));
    if (j != null) pairs.push([i, j]);
  });
  if (pairs.length === 0) {
    throw new FeatureSetError(`${source.dir} and ${target.dir} share no image paths: they are not features of the same images`);
  }
  const cropSet = withCrops ? (source.hasCrops ? source : target.hasCrops ? target : undefined) : undefined;
  if (withCrops && !cropSet) {
    const problem = source.cropsProblem ?? target.cropsProblem;
    throw new FeatureSetError(
      problem
        ? `this architecture needs face crops: ${problem}`
        : `this architecture needs face crops, but neither ${source.dir} nor ${target.dir} has them (extract with --crops)`,
    );
  }
  const xs = source.rows(),
    ys = target.rows();
  const ds = source.dim,
    dt = target.dim,
    n = pairs.length;
  const x = new Float32Array(n * ds),
    y = new Float32Array(n * dt);
  const cropLen = FACE_SIZE * FACE_SIZE * 3;
  const allCrops = cropSet?.crops();
  const crops = allCrops ? new Uint8Array(n * cropLen) : undefined;
  pairs.forEach(([i, j], r) => {
    x.set(xs.subarray(i * ds, (i + 1) * ds), r * ds);
    y.set(ys.subarray(j * dt, (j + 1) * dt), r * dt);
    if (crops && allCrops) {
      const c = cropSet === source ? i : j;
      crops.set(allCrops.subarray(c * cropLen, (c + 1) * cropLen), r * cropLen);
    }
  });
  return {
    data: {
      n,
      ds,
      dt,
      x,
      y,
      crops,
      identities: pairs.map(([i]) => source.items[i].identity),
      paths: pairs.map(([i]) => source.items[i].path),
      original: pairs.map(([i]) => isOriginal(source.items[i])),
    },
    unpairedSource: source.count - n,
    unpairedTarget: target.count - n,
  };
}

export function subset(d: PairedData, rows: number[]): PairedData {
  return {
    n: rows.length,
    ds: d.ds,
    dt: d.dt,
    x: gatherRows(d.x, d.ds, rows),
    y: gatherRows(d.y, d.dt, rows),
    crops: d.crops ? gatherRows(d.crops, FACE_SIZE * FACE_SIZE * 3, rows) : undefined,
    identities: rows.map((i) => d.identities[i]),
    paths: rows.map((i) => d.paths[i]),
    ...(d.original ? { original: rows.map((i) => d.original![i]) } : {}),
  };
}

/**
 * Deterministic validation hold-out: whole identities when labels are known (so validation
 * measures generalisation to unseen people), otherwise a random slice of items.
 */
export function splitForValidation(d: PairedData, fraction: number, seed: number): { train: number[]; val: number[] } {
  const all = Array.from({ length: d.n }, (_, i) => i);
  if (fraction <= 0) return { train: all, val: [] };
  // labelled rows are held out by identity; unlabelled ones (label-free extra data) only ever train
  const labelled = d.identities.some((s) => s !== '');
  // the hold-out is chosen, and measured, on original rows only: augmented copies of a held-out
  // person's images are neither trained on nor validated on (copies of one image are near-duplicates)
  const orig = (i: number) => d.original?.[i] ?? true;
  if (labelled) {
    const counts = new Map<string, number>();
    for (const i of all) if (orig(i) && d.identities[i] !== '') counts.set(d.identities[i], (counts.get(d.identities[i]) ?? 0) + 1);
    const originals = [...counts.values()].reduce((a, b) => a + b, 0);
    const held = new Set<string>();
    let count = 0;
    for (const id of shuffled([...counts.keys()].sort(), seed)) {
      if (count >= originals * fraction) break;
      held.add(id);
      count += counts.get(id)!;
    }
    return { train: all.filter((i) => !held.has(d.identities[i])), val: all.filter((i) => held.has(d.identities[i]) && orig(i)) };
  }
  const order = shuffled(all, seed);
  const k = Math.max(1, Math.round(d.n * fraction));
  return { train: order.slice(k).sort((a, b) => a - b), val: order.slice(0, k).sort((a, b) => a - b) };
}
