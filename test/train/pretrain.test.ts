// Label-free pre-training: the D, G and E steps run alone first (no regression step), then the
// schedule; the run records it and resumes past it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeConfig } from '../../src/train/config.js';
import { trainMapper } from '../../src/train/train-mapper.js';
import { readCheckpointState } from '../../src/train/checkpoint.js';
import { writeSyntheticPair } from '../helpers/synthetic.js';
import { useWasm } from '../helpers/backend.js';
import { tmpDir } from '../helpers/tmp.js';

test('--pretrain N: N iterations without the regression step, then the schedule', async () => {
  await useWasm();
  const dir = tmpDir();
  const { source, target } = writeSyntheticPair(dir, { identities: 6, perIdentity: 3, ds: 16, dt: 12 });
  const seen: Record<string, number>[] = [];
  const cfg = makeConfig('r3an', { epochs: 1, batchSize: 8, microBatch: 8, pretrainIters: 3 });
  const r = await trainMapper({
    source,
    target,
    out: path.join(dir, 'm'),
    config: cfg,
    backend: 'test',
    events: { onIteration: (_n, l) => seen.push(l) },
  });
  assert.ok(r.finished);
  assert.equal(seen.length, 3 + Math.ceil(r.manifest.training.trainItems / 8));
  for (const l of seen.slice(0, 3)) {
    assert.ok(!('reg' in l), 'no regression while pre-training');
    assert.ok('rep' in l && 'rec' in l);
  }
  assert.ok('reg' in seen[3], 'the schedule proper has the regression step');
  assert.equal(readCheckpointState(path.join(dir, 'm'))?.pretrained, 3);
});
