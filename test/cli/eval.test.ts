// `r3an eval` on synthetic feature sets: self-model, refused cross-model, and cross-model via a mapper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeSyntheticPair } from '../helpers/synthetic.js';
import { r3an } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const COMMON = ['--threads', '1', '--backend', 'wasm'];

test('eval: self-model scores high, cross-model needs a mapper, and the mapper makes it work', () => {
  const dir = tmpDir();
  const { source, target } = writeSyntheticPair(dir, { identities: 20, perIdentity: 5, ds: 24, dt: 16 });
  const self = r3an(['eval', 'identification', '--probe', target, '--gallery', target, '--json', path.join(dir, 'self.json'), ...COMMON]);
  assert.equal(self.code, 0, self.stderr);
  const selfRes = JSON.parse(fs.readFileSync(path.join(dir, 'self.json'), 'utf8'));
  assert.equal(selfRes.pairs, 20 * 5 * 4);
  assert.ok(selfRes.rank1 > 0.8, `self rank-1 ${selfRes.rank1}`);

  const refused = r3an(['eval', 'identification', '--probe', source, '--gallery', target, ...COMMON]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /different spaces/);

  const mapper = path.join(dir, 'mapper');
  assert.equal(r3an(['train', '--source', source, '--target', target, '--out', mapper, '--arch', 'linear', ...COMMON]).code, 0);
  const cross = r3an([
    'eval',
    'verification',
    '--probe',
    source,
    '--gallery',
    target,
    '--mapper',
    mapper,
    '--json',
    path.join(dir, 'cross.json'),
    ...COMMON,
  ]);
  assert.equal(cross.code, 0, cross.stderr);
  const res = JSON.parse(fs.readFileSync(path.join(dir, 'cross.json'), 'utf8'));
  assert.equal(res.space.id, 'synthetic/target');
  assert.ok(res.accuracy.mean > 0.8, `cross-model verification accuracy ${res.accuracy.mean}`);
  assert.equal(res.accuracy.folds.length, 10);
});
