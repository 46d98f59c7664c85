// Identity-disjoint train/test split (the mapper never sees a test identity). Identities with ≥ 2 images
// are shuffled with a seeded generator and divided by `testFraction` (of identities); identities with a
// single image are distractors only and are never trained on.
import { isOriginal } from '../features/feature-set.js';
import type { FeatureItem } from '../features/feature-set.js';
import { shuffled } from '../core/rng.js';

export interface IdentitySplit {
  seed: number;
  testFraction: number;
  train: string[];
  test: string[];
  distractors: string[];
  /** feature sets whose rows (other than the test and distractor identities') were added to training */
  trainExtra?: string[];
}

export type SplitPart = 'train' | 'test' | 'distractors';

export function splitIdentities(
  items: readonly Pick<FeatureItem, 'identity' | 'flipped' | 'augment'>[],
  testFraction: number,
  seed: number,
): IdentitySplit {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`testFraction must be in (0, 1), got ${testFraction}`);
  const counts = new Map<string, number>();
  for (const it of items) {
    if (it.identity === '') throw new Error('an identity-disjoint split needs identity labels on every item');
    if (isOriginal(it)) counts.set(it.identity, (counts.get(it.identity) ?? 0) + 1);
  }
  const multi = [...counts.keys()].filter((id) => counts.get(id)! >= 2).sort();
  const distractors = [...counts.keys()].filter((id) => counts.get(id)! < 2).sort();
  if (multi.length < 2) throw new Error(`a split needs at least 2 identities with ≥ 2 images, found ${multi.length}`);
  const nTest = Math.min(multi.length - 1, Math.max(1, Math.round(multi.length * testFraction)));
  const order = shuffled(multi, seed);
  return { seed, testFraction, test: order.slice(0, nTest).sort(), train: order.slice(nTest).sort(), distractors };
}

/** Row indices of each part, in row order (flipped rows follow their identity). */
export function splitRows(items: readonly Pick<FeatureItem, 'identity'>[], split: IdentitySplit): Record<SplitPart, number[]> {
  const part = new Map<string, SplitPart>();
  for (const k of ['train', 'test', 'distractors'] as const) for (const id of split[k]) part.set(id, k);
  const rows: Record<SplitPart, number[]> = { train: [], test: [], distractors: [] };
  items.forEach((it, i) => {
    const p = part.get(it.identity);
    if (p) rows[p].push(i);
  });
  return rows;
}
