import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { FeatureSet, writeFeatureSet, assertSameSpace, FEATURES_FILE, MANIFEST_FILE } from '../../src/features/feature-set.js';
import { tmpDir } from '../helpers/tmp.js';

const model = { id: 'test/model', dim: 4, normalization: 'none' as const, preprocessing: { size: 112 } };
const items = [
  { path: 'a/1.jpg', identity: 'a' },
  { path: 'a/2.jpg', identity: 'a' },
  { path: 'b/1.jpg', identity: 'b' },
];
const features = Float32Array.from({ length: 12 }, (_, i) => i / 10);

test('a feature set round-trips with its lineage', () => {
  const dir = path.join(tmpDir(), 'fs');
  writeFeatureSet(dir, { model, items, features, crops: new Uint8Array(3 * 56 * 56 * 3).fill(7) });
  const fsx = FeatureSet.open(dir);
  assert.equal(fsx.count, 3);
  assert.deepEqual(fsx.model, model);
  assert.deepEqual(fsx.items, items);
  assert.deepEqual(Array.from(fsx.rows()), Array.from(features));
  assert.deepEqual(Array.from(fsx.rows(1, 2)), Array.from(features.subarray(4, 8)));
  assert.equal(fsx.crops(2, 3)[100], 7);
  assert.equal(fs.readdirSync(path.dirname(dir)).filter((f) => f.includes('.tmp-')).length, 0, 'no temporary files left');
});

test('features.npy is readable by numpy when numpy is installed', (t) => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
  } catch {
    t.skip('numpy not installed');
    return;
  }
  const dir = path.join(tmpDir(), 'fs');
  writeFeatureSet(dir, { model, items, features });
  const out = execFileSync('python3', [
    '-c',
    `import numpy as np; a = np.load(${JSON.stringify(path.join(dir, FEATURES_FILE))}); print(a.dtype, a.shape, round(float(a.sum()), 4))`,
  ])
    .toString()
    .trim();
  assert.equal(out, `float32 (3, 4) ${(66 / 10).toFixed(1)}`);
});

test('refuses truncated, mismatched and non-finite feature sets, naming the file', () => {
  const base = tmpDir();
  const make = (name: string) => {
    const d = path.join(base, name);
    writeFeatureSet(d, { model, items, features });
    return d;
  };

  const truncated = make('truncated');
  const f = path.join(truncated, FEATURES_FILE);
  fs.truncateSync(f, fs.statSync(f).size - 8);
  assert.throws(
    () => FeatureSet.open(truncated),
    (e: Error) => e.message.includes(f) && /truncated/.test(e.message),
  );

  const wrongDim = make('wrongdim');
  const m = JSON.parse(fs.readFileSync(path.join(wrongDim, MANIFEST_FILE), 'utf8'));
  m.model.dim = 5;
  fs.writeFileSync(path.join(wrongDim, MANIFEST_FILE), JSON.stringify(m));
  assert.throws(() => FeatureSet.open(wrongDim), /4-d but the manifest says model test\/model is 5-d/);

  const wrongCount = make('wrongcount');
  const m2 = JSON.parse(fs.readFileSync(path.join(wrongCount, MANIFEST_FILE), 'utf8'));
  m2.items.pop();
  fs.writeFileSync(path.join(wrongCount, MANIFEST_FILE), JSON.stringify(m2));
  assert.throws(() => FeatureSet.open(wrongCount), /count is 3 but 2 items/);

  const nan = path.join(base, 'nan');
  const bad = features.slice();
  bad[6] = NaN;
  writeFeatureSet(nan, { model, items, features: bad });
  assert.throws(() => FeatureSet.open(nan).rows(), /row 1 \(a\/2\.jpg\) holds a non-finite value/);

  assert.throws(() => FeatureSet.open(path.join(base, 'missing')), /not a feature set/);
});

test('features from different spaces are never compared silently', () => {
  assert.throws(() => assertSameSpace(model, { ...model, id: 'other' }, 'search'), /different spaces/);
  assert.throws(() => assertSameSpace(model, { ...model, dim: 8 }, 'search'), /different spaces/);
  assertSameSpace(model, { ...model }, 'search');
});
