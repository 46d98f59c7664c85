// Augmented extraction: the k-th copy of an image is a pure function of (path, k), every model sees
// the same copies so their rows pair up, and experiments keep augmented rows out of test sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { augmentImage, augmentParams } from '../../src/faces/augment.js';
import { decodeRgb } from '../../src/faces/image.js';
import { extractFeatures } from '../../src/faces/extract.js';
import { FeatureSet, isOriginal, rowKey } from '../../src/features/feature-set.js';
import { pairFeatureSets, splitForValidation } from '../../src/train/paired-data.js';
import { splitIdentities, splitRows } from '../../src/eval/split.js';
import { useWasm } from '../helpers/backend.js';
import { BBT_DIR } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const skip = !fs.existsSync(BBT_DIR) && 'no ../shared/data';

test('augmentation is seeded by (path, k): the same copy every time, different copies for different k', { skip }, async () => {
  const file = fs.readdirSync(path.join(BBT_DIR, fs.readdirSync(BBT_DIR)[0]))[0];
  const rel = path.join(fs.readdirSync(BBT_DIR)[0], file);
  const img = await decodeRgb(path.join(BBT_DIR, rel));
  const a = await augmentImage(img, augmentParams(rel, 1)),
    b = await augmentImage(img, augmentParams(rel, 1)),
    c = await augmentImage(img, augmentParams(rel, 2));
  assert.equal(a.width, img.width);
  assert.equal(a.height, img.height);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  assert.notDeepEqual(a.data, img.data);
  // over many copies every kind of transform occurs, within its range
  const ps = Array.from({ length: 200 }, (_, k) => augmentParams(rel, k + 1));
  assert.ok(ps.some((p) => p.grey) && ps.some((p) => p.lowRes < 1) && ps.some((p) => p.flip) && ps.some((p) => !p.flip));
  assert.ok(ps.every((p) => Math.abs(p.angle) <= 10 && Math.abs(p.scale - 1) <= 0.08 && p.lowRes >= 0.25));
});

test("--augment K: two models' augmented rows pair up, and the split keeps them out of test parts", { skip }, async () => {
  await useWasm();
  const dir = tmpDir();
  const opts = { data: BBT_DIR, perIdentity: 2, augment: 2 };
  await extractFeatures({ ...opts, model: 'human/mobileface', out: path.join(dir, 'a'), crops: true });
  await extractFeatures({ ...opts, model: 'human/faceres', out: path.join(dir, 'b') });
  const a = FeatureSet.open(path.join(dir, 'a')),
    b = FeatureSet.open(path.join(dir, 'b'));
  const augmented = a.items.filter((it) => it.augment != null);
  assert.ok(augmented.length >= a.items.filter(isOriginal).length, `${augmented.length} augmented rows`);
  assert.ok(augmented.every((it) => it.augment === 1 || it.augment === 2));
  const { data } = pairFeatureSets(a, b, true);
  const keysB = new Set(b.items.map(rowKey));
  const shared = a.items.filter((it) => keysB.has(rowKey(it))).length;
  assert.equal(data.n, shared, 'rows pair by (path, copy)');
  assert.ok(data.paths.length > a.items.filter(isOriginal).length, 'augmented pairs are part of the training data');
  const hold = splitForValidation(data, 0.3, 1);
  assert.ok(hold.val.length > 0 && hold.val.every((r) => data.original![r]), 'validation measures original rows only');
  assert.ok(
    hold.train.some((r) => !data.original![r]),
    'training keeps the augmented rows',
  );
  const split = splitIdentities(a.items, 0.5, 1);
  const rows = splitRows(a.items, split);
  const testRows = rows.test.filter((r) => isOriginal(a.items[r]));
  assert.ok(testRows.length > 0);
});
