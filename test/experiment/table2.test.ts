// `r3an experiment table2`: LFW-protocol verification (pairs file, 10 folds) and closed-set rank-1 per
// model, on a tiny LFW-layout dataset and a user-registered model so it runs in seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Table2Results } from '../../src/experiment/table2.js';
import { r3an } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { colourFaces, saveTinyModel, writeTinySpec } from '../helpers/tiny-model.js';

test("table2: 10-fold verification on a pairs file and rank-1, every image or only the pairs' images", async () => {
  const dir = tmpDir();
  await saveTinyModel(path.join(dir, 'model'));
  const spec = writeTinySpec(dir);
  const hue = (k: number): [number, number, number] => [
    Math.round(127 + 120 * Math.cos(k)),
    Math.round(127 + 120 * Math.cos(k + 2.1)),
    Math.round(127 + 120 * Math.cos(k + 4.2)),
  ];
  const names = Array.from({ length: 10 }, (_, k) => `person_${k}`);
  await colourFaces(path.join(dir, 'lfw'), Object.fromEntries(names.map((n, k) => [n, hue(k * 0.6)])), 2);
  await colourFaces(path.join(dir, 'lfw'), { loner: [128, 128, 128] }, 1);
  // 10 folds of one same-person and one different-person pair, LFW's pairs.txt format
  const lines = ['10\t1', ...names.flatMap((n, f) => [`${n}\t1\t2`, `${n}\t1\t${names[(f + 1) % 10]}\t2`])];
  fs.writeFileSync(path.join(dir, 'pairs.txt'), lines.join('\n') + '\n');

  const out = path.join(dir, 'out');
  const args = ['experiment', 'table2', '--data', path.join(dir, 'lfw'), '--models', spec, '--out', out];
  const r = r3an(args);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(fs.readFileSync(path.join(out, 'table2.json'), 'utf8')) as Table2Results;
  assert.equal(res.pairsFile, path.join(dir, 'pairs.txt'), 'pairs.txt found beside the data folder');
  const row = res.rows[0];
  assert.equal(row.model, 'acme/tiny');
  assert.equal(row.images, 21, 'every image, the loner too');
  assert.equal(row.verification.pairs, 20);
  assert.equal(row.verification.missing, 0);
  assert.ok(row.verification.mean > 0.7 && row.verification.mean <= 1, `accuracy ${row.verification.mean}`);
  assert.ok(row.identification.rank1 > 0.5, `rank-1 ${row.identification.rank1}`);
  assert.equal(row.identification.pairs, 20, 'two ordered pairs for each of the 10 people with two images');
  assert.match(fs.readFileSync(path.join(out, 'table2.md'), 'utf8'), /\| acme\/tiny \| 16 \| 21 \(0\) \|/);
  assert.match(r3an(args).stderr, /reusing/, 'a rerun reuses the features');

  const only = r3an([
    'experiment',
    'table2',
    '--data',
    path.join(dir, 'lfw'),
    '--models',
    spec,
    '--out',
    path.join(dir, 'out2'),
    '--pairs-only',
    '--pairs',
    path.join(dir, 'pairs.txt'),
  ]);
  assert.equal(only.code, 0, only.stderr);
  const res2 = JSON.parse(fs.readFileSync(path.join(dir, 'out2', 'table2.json'), 'utf8')) as Table2Results;
  assert.equal(res2.rows[0].images, 20, 'only the images pairs.txt names');

  const bad = r3an([
    'experiment',
    'table2',
    '--data',
    path.join(dir, 'lfw'),
    '--models',
    spec,
    '--out',
    path.join(dir, 'out3'),
    '--pairs',
    path.join(dir, 'nope.txt'),
  ]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /nope\.txt: pairs file not found/);
});
