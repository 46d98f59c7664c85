// --train-extra: more training rows from other feature sets, never of a test or distractor identity,
// never an image the experiment already lists; test and distractor parts unchanged; a workspace made
// with other extras is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FeatureSet, writeFeatureSet, type FeatureItem } from '../../src/features/feature-set.js';
import { ensureSplit, openPart } from '../../src/experiment/stages.js';
import { Workspace } from '../../src/experiment/workspace.js';
import { makeSynthetic } from '../helpers/synthetic.js';
import { tmpDir } from '../helpers/tmp.js';

const model = { id: 'synthetic/source', dim: 8, normalization: 'none' as const, preprocessing: { note: 'synthetic' } };

function write(dir: string, items: FeatureItem[], x: Float32Array): FeatureSet {
  writeFeatureSet(dir, { model, items, features: x.slice(0, items.length * 8) });
  return FeatureSet.open(dir);
}

test('--train-extra adds rows of other identities to the training part only', () => {
  const dir = tmpDir();
  const s = makeSynthetic({ identities: 12, perIdentity: 3, ds: 8, dt: 8 });
  // the experiment's set: 12 people × 3, plus 4 single-image people (distractors)
  const singles = Array.from({ length: 4 }, (_, i) => ({ path: `single${i}/a.png`, identity: `single${i}` }));
  const main = write(
    path.join(dir, 'main'),
    [...s.items, ...singles],
    Float32Array.from({ length: 40 * 8 }, (_, i) => Math.cos(i)),
  );
  // the extra set: more images of every person (held-out ones included), one already listed image, two label-free rows
  const extraItems: FeatureItem[] = [
    ...s.items.map((it) => ({ path: it.path.replace('.png', '-more.png'), identity: it.identity })),
    { path: 'single0/b.png', identity: 'single0' },
    s.items[0],
    { path: 'unlabelled/1.png', identity: '' },
    { path: 'unlabelled/2.png', identity: '' },
  ];
  const extra = write(
    path.join(dir, 'extra'),
    extraItems,
    Float32Array.from({ length: extraItems.length * 8 }, (_, i) => Math.sin(i)),
  );
  const ws = new Workspace(path.join(dir, 'ws'));
  const log: string[] = [];
  const split = ensureSplit(ws, [main], 0.3, 1, { log: (m) => log.push(m) }, [extra]);
  const heldOut = new Set([...split.test, ...split.distractors]);
  const train = openPart(ws, model.id, 'train');
  assert.ok(
    train.items.every((it) => !heldOut.has(it.identity)),
    'no test or distractor identity in training',
  );
  const fromExtra = train.items.filter((it) => it.path.includes('-more') || it.identity === '');
  assert.equal(fromExtra.length, 3 * split.train.length + 2, 'every extra row of a training person, and the label-free rows');
  assert.equal(
    train.items.filter((it) => it.path === s.items[0].path).length,
    heldOut.has(s.items[0].identity) ? 0 : 1,
    'a listed image is not added twice',
  );
  assert.equal(openPart(ws, model.id, 'test').items.filter((it) => it.path.includes('-more')).length, 0, 'test part unchanged');
  assert.ok(
    log.some((l) => l.includes('from')),
    log.join('\n'),
  );
  assert.deepEqual(split.trainExtra, [path.resolve(extra.dir)]);
  // the same workspace without the extras: refused, not silently mixed
  assert.throws(() => ensureSplit(ws, [main], 0.3, 1, { log: () => {} }), /training extras/);
});

test('validation holds out labelled identities only: label-free extra rows always train', async () => {
  const { splitForValidation } = await import('../../src/train/paired-data.js');
  const identities = [...Array.from({ length: 30 }, (_, i) => `p${i % 10}`), '', '', '', ''];
  const d = {
    n: identities.length,
    ds: 1,
    dt: 1,
    x: new Float32Array(34),
    y: new Float32Array(34),
    identities,
    paths: identities.map((_, i) => `${i}`),
  };
  const { train, val } = splitForValidation(d, 0.3, 1);
  assert.ok(val.length > 0 && val.every((i) => identities[i] !== ''), 'validation rows are labelled');
  assert.ok(
    [30, 31, 32, 33].every((i) => train.includes(i)),
    'unlabelled rows train',
  );
  const heldIds = new Set(val.map((i) => identities[i]));
  assert.ok(
    train.every((i) => !heldIds.has(identities[i])),
    'identity-disjoint',
  );
});
