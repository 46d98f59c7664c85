// The identity-disjoint split: deterministic, disjoint, singletons only as distractors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitIdentities, splitRows } from '../../src/eval/split.js';

function items(counts: Record<string, number>) {
  return Object.entries(counts).flatMap(([id, n]) => Array.from({ length: n }, () => ({ identity: id })));
}

test('split: test and train identities are disjoint, singletons are distractors only, and the seed decides', () => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < 40; i++) counts[`p${i}`] = 1 + (i % 5); // 8 singletons, 32 with ≥ 2 images
  const its = items(counts);
  const s = splitIdentities(its, 0.25, 7);
  assert.equal(s.test.length, 8);
  assert.equal(s.train.length, 24);
  assert.deepEqual(
    s.distractors,
    Object.keys(counts)
      .filter((k) => counts[k] === 1)
      .sort(),
  );
  const train = new Set(s.train);
  for (const id of s.test) assert.ok(!train.has(id), `${id} in both train and test`);
  for (const id of s.distractors) assert.ok(!train.has(id) && !s.test.includes(id));
  assert.deepEqual(splitIdentities(its, 0.25, 7), s, 'same seed, same split');
  assert.notDeepEqual(splitIdentities(its, 0.25, 8).test, s.test, 'another seed, another split');
  const rows = splitRows(its, s);
  assert.equal(rows.train.length + rows.test.length + rows.distractors.length, its.length);
  for (const r of rows.test) assert.ok(s.test.includes(its[r].identity));
});

test('split: refuses unlabelled items and too few identities', () => {
  assert.throws(() => splitIdentities([{ identity: '' }, { identity: '' }], 0.3, 1), /identity labels/);
  assert.throws(() => splitIdentities(items({ a: 3, b: 1 }), 0.3, 1), /at least 2 identities/);
  assert.throws(() => splitIdentities(items({ a: 3, b: 3 }), 1.5, 1), /testFraction/);
});
