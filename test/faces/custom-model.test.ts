// Users' own TF.js models, registered by a spec file: extraction, lineage, and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { extractFeatures } from '../../src/faces/extract.js';
import { zooEntry } from '../../src/faces/zoo.js';
import { FeatureSet } from '../../src/features/feature-set.js';
import { tmpDir } from '../helpers/tmp.js';
import { useWasm } from '../helpers/backend.js';
import { colourFaces, saveTinyModel, writeTinySpec } from '../helpers/tiny-model.js';

test('a user-registered TF.js model extracts features by its spec file, with its lineage', async () => {
  await useWasm();
  const dir = tmpDir();
  await saveTinyModel(path.join(dir, 'model'));
  await colourFaces(path.join(dir, 'faces'), { red: [200, 40, 40], green: [40, 200, 40], blue: [40, 40, 200] }, 2);
  const spec = writeTinySpec(dir, { colour: 'BGR' });
  const out = path.join(dir, 'fs');
  await extractFeatures({ data: path.join(dir, 'faces'), model: spec, out, crops: true });
  const set = FeatureSet.open(out);
  assert.equal(set.model.id, 'acme/tiny');
  assert.equal(set.dim, 16);
  assert.equal(set.count, 6);
  assert.equal(set.model.preprocessing.pixels, '0..1');
  assert.equal(set.model.preprocessing.colour, 'BGR');
  assert.match(String(set.model.preprocessing.modelSha256), /^[0-9a-f]{16}$/);
  assert.equal(set.manifest.extraction?.images, 6);
  const x = set.rows();
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(Math.hypot(...x.subarray(i * 16, i * 16 + 16)) - 1) < 1e-4);
  // rows are in dataset order (blue, blue, green, green, red, red): same colour closer than another colour
  const cos = (i: number, j: number) => x.subarray(i * 16, i * 16 + 16).reduce((s, v, k) => s + v * x[j * 16 + k], 0);
  assert.ok(cos(0, 1) > cos(0, 2), `same ${cos(0, 1)} vs different ${cos(0, 2)}`);
});

test('bad model specs are refused with the file and the problem named', async () => {
  await useWasm();
  const dir = tmpDir();
  await saveTinyModel(path.join(dir, 'model'));
  assert.throws(() => zooEntry(writeTinySpec(dir, { pixels: '0..65535' }, 'a.json')), /a\.json: "pixels" must be one of/);
  assert.throws(() => zooEntry(writeTinySpec(dir, { dim: -3 }, 'b.json')), /b\.json: "dim" must be a positive integer/);
  assert.throws(
    () => zooEntry(writeTinySpec(dir, { model: 'nope/model.json' }, 'c.json')),
    /c\.json: model file .*nope\/model\.json not found/,
  );
  await assert.rejects(
    zooEntry(writeTinySpec(dir, { dim: 8 }, 'd.json')).create(),
    /model\.json: returned a 16-d output, acme\/tiny is declared 8-d/,
  );
  assert.throws(() => zooEntry('no-such-model'), /unknown model "no-such-model"/);
});
