// The CLI contract: train → kill → --resume reproduces an uninterrupted run exactly; map round-trips
// and refuses input from the wrong space; every command explains itself with --help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FeatureSet, writeFeatureSet } from '../../src/features/feature-set.js';
import { loadMapper, readMapperManifest } from '../../src/mapper/mapper.js';
import { mapRows } from '../../src/mapper/map-rows.js';
import { readCheckpointState } from '../../src/train/checkpoint.js';
import { writeSyntheticPair } from '../helpers/synthetic.js';
import { r3an, r3anKilledWhen } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { useWasm } from '../helpers/backend.js';

const COMMON = ['--threads', '1', '--backend', 'wasm'];

test('--help explains r3an and each command', () => {
  const main = r3an(['--help']);
  assert.equal(main.code, 0);
  assert.match(main.stdout, /train/);
  assert.match(main.stdout, /map/);
  for (const cmd of ['train', 'map']) {
    const r = r3an([cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`r3an ${cmd}`));
  }
  const bad = r3an(['train', '--nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /nope/);
});

test('fc: train → kill → --resume ends with exactly the weights of an uninterrupted run', async () => {
  const dir = tmpDir();
  const { source, target } = writeSyntheticPair(dir, { identities: 16, perIdentity: 6, ds: 32, dt: 24 });
  const args = (out: string) => [
    'train',
    '--source',
    source,
    '--target',
    target,
    '--out',
    out,
    '--arch',
    'fc',
    '--epochs',
    '6',
    '--batch',
    '8',
    '--seed',
    '4',
    ...COMMON,
  ];
  const whole = path.join(dir, 'whole');
  assert.equal(r3an(args(whole)).code, 0);

  const killed = path.join(dir, 'killed');
  const { killed: wasKilled } = await r3anKilledWhen(args(killed), () => (readCheckpointState(killed)?.epoch ?? 0) >= 2);
  assert.ok(wasKilled, 'the first run was killed mid-training');
  const stoppedAt = readCheckpointState(killed)!.epoch;
  assert.ok(stoppedAt >= 2 && stoppedAt < 6, `killed after epoch ${stoppedAt}`);
  const resumed = r3an([...args(killed), '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming at epoch/);

  const a = readMapperManifest(whole),
    b = readMapperManifest(killed);
  assert.equal(b.history.length, 6);
  assert.deepEqual(
    b.history.map((h) => h.losses),
    a.history.map((h) => h.losses),
  );
  assert.equal(
    fs.readFileSync(path.join(killed, 'mapping/weights.bin')).compare(fs.readFileSync(path.join(whole, 'mapping/weights.bin'))),
    0,
    'identical weights',
  );
  // a finished run refuses to be overwritten
  assert.equal(r3an(args(whole)).code, 1);
});

test('r3an: stop after one epoch, resume: the weights of an uninterrupted run, and the mapper holds generator + mapping models', async () => {
  const dir = tmpDir();
  const { source, target } = writeSyntheticPair(dir, { identities: 4, perIdentity: 4, ds: 16, dt: 16 });
  const out = path.join(dir, 'mapper');
  const args = (o: string) => [
    'train',
    '--source',
    source,
    '--target',
    target,
    '--out',
    o,
    '--arch',
    'r3an',
    '--epochs',
    '2',
    '--batch',
    '8',
    '--micro-batch',
    '4',
    '--val-fraction',
    '0.25',
    ...COMMON,
  ];
  const base = args(out);
  // uninterrupted reference (on onnxruntime where it is installed: its Adam state must survive the checkpoint exactly)
  const whole = path.join(dir, 'whole');
  assert.equal(r3an(args(whole)).code, 0);
  const first = r3an([...base, '--stop-after', '1']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /stopped/);
  assert.equal(readCheckpointState(out)!.epoch, 1);
  const second = r3an([...base, '--resume']);
  assert.equal(second.code, 0, second.stderr);
  const m = readMapperManifest(out);
  assert.equal(m.arch, 'r3an');
  assert.equal(m.history.length, 2);
  assert.ok(m.training.finished);
  assert.equal(
    fs.readFileSync(path.join(out, 'mapping/weights.bin')).compare(fs.readFileSync(path.join(whole, 'mapping/weights.bin'))),
    0,
    'identical weights',
  );
  assert.deepEqual(Object.keys(m.history[1].losses).sort(), ['adv', 'd', 'g', 'rec', 'reg', 'rep']);
  for (const f of ['mapping/model.json', 'mapping/weights.bin', 'generator/model.json', 'checkpoint/state.json'])
    assert.ok(fs.existsSync(path.join(out, f)), f);
  // resuming with another configuration is refused
  const other = r3an([...base.map((a) => (a === 'r3an' ? 'arch3' : a)), '--resume']);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /different configuration/);
});

test('map: round-trips a gallery through the mapper, records lineage, refuses the wrong space', async () => {
  const dir = tmpDir();
  const { source, target } = writeSyntheticPair(dir, { identities: 10, perIdentity: 5, ds: 24, dt: 20 });
  const mapperDir = path.join(dir, 'lin');
  assert.equal(r3an(['train', '--source', source, '--target', target, '--out', mapperDir, '--arch', 'linear', ...COMMON]).code, 0);
  const out = path.join(dir, 'mapped');
  const r = r3an(['map', '--mapper', mapperDir, '--in', source, '--out', out, '--chunk', '7', ...COMMON]);
  assert.equal(r.code, 0, r.stderr);
  const mapped = FeatureSet.open(out),
    src = FeatureSet.open(source);
  assert.equal(mapped.model.id, 'synthetic/target');
  assert.equal(mapped.dim, 20);
  assert.equal(mapped.manifest.mappedFrom?.source.id, 'synthetic/source');
  assert.equal(mapped.manifest.mappedFrom?.mapper.arch, 'linear');
  assert.deepEqual(mapped.items, src.items);
  await useWasm();
  const mapper = await loadMapper(mapperDir);
  const expected = mapRows(mapper.mapping, src.rows(), 24, 20, true);
  const got = mapped.rows();
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-5);
  for (let i = 0; i < mapped.count; i++) {
    let s = 0;
    for (let k = 0; k < 20; k++) s += got[i * 20 + k] ** 2;
    assert.ok(Math.abs(Math.sqrt(s) - 1) < 1e-4, 'mapped rows are unit-norm');
  }
  const srcBefore = fs.readFileSync(path.join(source, 'features.npy'));

  // wrong space: the target set, and a source-named set of the wrong dimension
  const wrong = r3an(['map', '--mapper', mapperDir, '--in', target, '--out', path.join(dir, 'x'), ...COMMON]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /synthetic\/target@20.*maps from synthetic\/source@24/);
  const wrongDim = path.join(dir, 'wrongdim');
  writeFeatureSet(wrongDim, { model: { ...src.model, dim: 12 }, items: src.items, features: new Float32Array(src.count * 12) });
  assert.equal(r3an(['map', '--mapper', mapperDir, '--in', wrongDim, '--out', path.join(dir, 'y'), ...COMMON]).code, 1);
  // mapping mapped features again is refused
  assert.match(r3an(['map', '--mapper', mapperDir, '--in', out, '--out', path.join(dir, 'z'), ...COMMON]).stderr, /space|already mapped/);
  assert.ok(!fs.existsSync(path.join(dir, 'x')) && !fs.existsSync(path.join(dir, 'y')), 'nothing written on refusal');
  assert.ok(fs.readFileSync(path.join(source, 'features.npy')).equals(srcBefore), 'input untouched');
  tf.disposeVariables();
});
