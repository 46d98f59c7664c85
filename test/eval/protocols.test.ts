// The protocols against hand-computed cases and an independent slow reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedSetIdentification, identificationWithDistractors } from '../../src/eval/identification.js';
import { gatherRows } from '../../src/features/rows.js';
import { bestThreshold, kFoldAccuracy, roc, tarAtFar, scorePairs, type ScoredPair } from '../../src/eval/verification.js';
import { topKSimilarities } from '../../src/eval/topk.js';
import { loadOnnxRuntime } from '../../src/backend/onnxruntime.js';
import { l2NormalizeRows } from '../../src/eval/similarity.js';
import { mulberry32, shuffled } from '../../src/core/rng.js';
import { useWasm } from '../helpers/backend.js';

const randomRows = (n: number, d: number, seed: number) => {
  const r = mulberry32(seed);
  return l2NormalizeRows(
    Float32Array.from({ length: n * d }, () => r() * 2 - 1),
    d,
  );
};

/** Slow reference: the rank of every mate by full sorting, straight from the protocol's definition. */
function slowIdentification(P: Float32Array, G: Float32Array, ids: string[], D: Float32Array, dim: number, maxRank: number) {
  const dot = (A: Float32Array, a: number, B: Float32Array, b: number) => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += A[a * dim + k] * B[b * dim + k];
    return s;
  };
  const hits = new Array(maxRank).fill(0);
  let pairs = 0;
  for (let j = 0; j < ids.length; j++)
    for (let i = 0; i < ids.length; i++) {
      if (i === j || ids[i] !== ids[j]) continue;
      const s = dot(P, j, G, i);
      let rank = 1;
      for (let d = 0; d < D.length / dim; d++) if (dot(P, j, D, d) >= s) rank++;
      for (let r = rank - 1; r < maxRank; r++) hits[r]++;
      pairs++;
    }
  return { cmc: hits.map((h) => h / pairs), pairs };
}

test('identification: the fast chunked search agrees with the slow reference on random data', async () => {
  await useWasm();
  const dim = 16,
    ids = Array.from({ length: 60 }, (_, i) => `p${i % 15}`);
  const P = randomRows(60, dim, 1),
    G = randomRows(60, dim, 2),
    D = randomRows(700, dim, 3);
  // make mates related so ranks spread over 1..10 and beyond
  for (let i = 0; i < 60; i++) for (let k = 0; k < dim; k++) G[i * dim + k] = 0.3 * G[i * dim + k] + P[(i % 15) * dim + k];
  const fast = await identificationWithDistractors({ probes: P, gallery: G, identities: ids, distractors: D, dim, maxRank: 10 });
  const slow = slowIdentification(P, l2NormalizeRows(G, dim), ids, D, dim, 10);
  assert.equal(fast.pairs, slow.pairs);
  fast.cmc.forEach((c, r) => assert.ok(Math.abs(c - slow.cmc[r]) < 1e-9, `rank ${r + 1}: ${c} vs ${slow.cmc[r]}`));
  assert.ok(fast.rank1 > 0 && fast.rank1 < 1, `non-trivial case, rank1 ${fast.rank1}`);
});

test("closed-set identification agrees with the slow reference (other identities' gallery rows as distractors)", async () => {
  await useWasm();
  const dim = 12,
    n = 90;
  // uneven identity sizes (1 to 9 images) so the top-K bound is exercised
  const ids = Array.from({ length: n }, (_, i) => `p${Math.floor(Math.sqrt(i * 3))}`);
  const P = randomRows(n, dim, 4),
    G = randomRows(n, dim, 5),
    C = randomRows(n, dim, 6);
  // images of one identity share a centre, so mates rank anywhere from 1 to beyond 10
  for (let i = 0; i < n; i++) {
    const c = Number(ids[i].slice(1));
    for (let k = 0; k < dim; k++) {
      P[i * dim + k] = 0.9 * P[i * dim + k] + C[c * dim + k];
      G[i * dim + k] = 0.9 * G[i * dim + k] + C[c * dim + k];
    }
  }
  const fast = await closedSetIdentification(P, G, ids, dim);
  const Gn = l2NormalizeRows(G, dim);
  const hits = new Array(10).fill(0);
  let pairs = 0;
  for (const id of new Set(ids)) {
    const rows = ids.flatMap((x, i) => (x === id ? [i] : []));
    if (rows.length < 2) continue;
    const others = ids.flatMap((x, i) => (x === id ? [] : [i]));
    const r = slowIdentification(
      gatherRows(P, dim, rows),
      gatherRows(Gn, dim, rows),
      rows.map(() => id),
      gatherRows(Gn, dim, others),
      dim,
      10,
    );
    r.cmc.forEach((c, k) => {
      hits[k] += c * r.pairs;
    });
    pairs += r.pairs;
  }
  assert.equal(fast.pairs, pairs);
  fast.cmc.forEach((c, r) => assert.ok(Math.abs(c - hits[r] / pairs) < 1e-9, `rank ${r + 1}: ${c} vs ${hits[r] / pairs}`));
  assert.ok(fast.rank1 > 0.05 && fast.rank1 < 0.95, `non-trivial case, rank1 ${fast.rank1}`);
});

test('identification: identical features give rank-1 = 1; permuted labels fall to chance', async () => {
  await useWasm();
  const dim = 32,
    n = 200;
  const ids = Array.from({ length: n }, (_, i) => `p${Math.floor(i / 4)}`);
  const centers = randomRows(50, dim, 9),
    noise = randomRows(n, dim, 10);
  const F = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < dim; k++) F[i * dim + k] = centers[Math.floor(i / 4) * dim + k] + 0.2 * noise[i * dim + k];
  const D = randomRows(2000, dim, 11);
  const same = await identificationWithDistractors({ probes: F, gallery: F, identities: ids, distractors: D, dim });
  assert.equal(same.pairs, 50 * 4 * 3);
  assert.ok(same.rank1 > 0.99, `rank1 ${same.rank1}`);
  const permuted = await identificationWithDistractors({ probes: F, gallery: F, identities: shuffled(ids, 5), distractors: D, dim });
  assert.ok(permuted.rank1 < 0.05, `permuted rank1 ${permuted.rank1}`);
});

test('identification: a tiny hand-computed example', async () => {
  await useWasm();
  // 2-d: person a has images at 0° and 10°, b at 90° and 100°; one distractor at 5°.
  const v = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
  const F = Float32Array.from([...v(0), ...v(10), ...v(90), ...v(100)]);
  const r = await identificationWithDistractors({
    probes: F,
    gallery: F,
    identities: ['a', 'a', 'b', 'b'],
    distractors: Float32Array.from(v(5)),
    dim: 2,
    maxRank: 3,
  });
  // a-pairs: the distractor (5° away) beats the mate (10° away) → rank 2; b-pairs: mate wins → rank 1
  assert.deepEqual(r.cmc, [0.5, 1, 1]);
  assert.equal(r.pairs, 4);
});

test('top-k merge across chunks equals one big search', async () => {
  await useWasm();
  const P = randomRows(37, 8, 1),
    S = randomRows(1000, 8, 2);
  const a = await topKSimilarities(P, S, 8, 5, { probeChunk: 10, setChunk: 97 });
  const b = await topKSimilarities(P, S, 8, 5, { probeChunk: 100, setChunk: 5000 });
  assert.deepEqual(Array.from(a.indices), Array.from(b.indices));
});

test('top-k on onnxruntime (Gemm + TopK) equals the TF.js search', async (t) => {
  if (!(await loadOnnxRuntime())) {
    t.skip('onnxruntime-node is not installed');
    return;
  }
  await useWasm();
  const P = randomRows(70, 24, 7),
    S = randomRows(3000, 24, 8);
  const ref = await topKSimilarities(P, S, 24, 10, { runtime: 'tfjs', setChunk: 700 });
  const got = await topKSimilarities(P, S, 24, 10, { runtime: 'onnx', setChunk: 700, probeChunk: 32, threads: 1 });
  assert.deepEqual(Array.from(got.indices), Array.from(ref.indices));
  got.values.forEach((v, i) => assert.ok(Math.abs(v - ref.values[i]) < 1e-5, `value ${i}: ${v} vs ${ref.values[i]}`));
});

test('verification: ROC, TAR@FAR and 10-fold accuracy on hand-made scores', () => {
  const pairs: ScoredPair[] = [
    { score: 0.9, same: true },
    { score: 0.8, same: true },
    { score: 0.7, same: false },
    { score: 0.6, same: true },
    { score: 0.3, same: false },
    { score: 0.1, same: false },
  ];
  const curve = roc(pairs);
  assert.deepEqual(
    curve.map((p) => [p.far, p.tar]),
    [
      [0, 0],
      [0, 1 / 3],
      [0, 2 / 3],
      [1 / 3, 2 / 3],
      [1 / 3, 1],
      [2 / 3, 1],
      [1, 1],
    ],
  );
  const t = tarAtFar(pairs, [0.5, 0.1]);
  assert.deepEqual(
    t.map((x) => x.far),
    [0.5],
    'FAR 0.1 is below 1/3 negatives: not measurable',
  );
  assert.equal(t[0].tar, 1);
  // perfectly separable folds → 100%; a fold whose scores are inverted → fails there
  const folds: ScoredPair[] = [];
  for (let f = 0; f < 10; f++)
    for (let i = 0; i < 20; i++) folds.push({ score: (i % 2 ? 0.8 : 0.2) + i * 1e-3, same: i % 2 === 1, fold: f });
  assert.equal(kFoldAccuracy(folds).mean, 1);
  const flipped = folds.map((p) => (p.fold === 3 ? { ...p, same: !p.same } : p));
  const k = kFoldAccuracy(flipped);
  assert.equal(k.folds[3].accuracy, 0);
  assert.ok(Math.abs(k.mean - 0.9) < 1e-9 && k.std > 0.29);
});

test('scorePairs computes cosine regardless of norm', () => {
  const A = Float32Array.from([3, 0, 0, 2]),
    B = Float32Array.from([1, 0, 1, 1]);
  const s = scorePairs(A, B, 2, [
    { a: 0, b: 0, same: true },
    { a: 1, b: 1, same: false },
  ]);
  assert.ok(Math.abs(s[0].score - 1) < 1e-7 && Math.abs(s[1].score - Math.SQRT1_2) < 1e-7);
});

test('bestThreshold: the one-sweep search finds the brute-force optimum (with tied scores)', () => {
  const rand = mulberry32(5);
  const pairs = Array.from({ length: 400 }, () => {
    const same = rand() < 0.4;
    return { score: Math.round((same ? 0.3 : 0) + rand() * 20) / 20, same };
  });
  const acc = (t: number) => pairs.filter((p) => p.score >= t === p.same).length;
  const scores = [...new Set(pairs.map((p) => p.score))].sort((a, b) => a - b);
  const candidates = [scores[0] - 1e-6, ...scores.slice(1).map((s, i) => (s + scores[i]) / 2), scores[scores.length - 1] + 1e-6];
  const bruteBest = Math.max(...candidates.map(acc));
  const t = bestThreshold(pairs);
  assert.equal(acc(t), bruteBest);
  assert.equal(
    t,
    candidates.find((c) => acc(c) === bruteBest),
    'the lowest optimal threshold, as before',
  );
});

test('rank1PerPerson weights every person alike, rank1 every ordered pair', async () => {
  await useWasm();
  // A: 4 images at (1, 0), all found; B: 2 images at (0, 1), beaten by a distractor equal to them (ties count against the mate)
  const F = Float32Array.from([1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1]);
  const ids = ['A', 'A', 'A', 'A', 'B', 'B'];
  const r = await identificationWithDistractors({ probes: F, gallery: F, identities: ids, distractors: Float32Array.from([0, 1]), dim: 2 });
  assert.equal(r.pairs, 14);
  assert.ok(Math.abs(r.rank1 - 12 / 14) < 1e-12, `rank1 ${r.rank1}`);
  assert.ok(Math.abs(r.rank1PerPerson - 0.5) < 1e-12, `per person ${r.rank1PerPerson}`);
});
