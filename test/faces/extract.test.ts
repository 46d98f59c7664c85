// Extraction with real face models on real faces (../shared/data/face-api-js-bbt: 8 people × 5 images).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { extractFeatures } from '../../src/faces/extract.js';
import { listDataset } from '../../src/faces/dataset.js';
import { FeatureSet } from '../../src/features/feature-set.js';
import { decodeRgb } from '../../src/faces/image.js';
import { zooEntry } from '../../src/faces/zoo.js';
import { loadOnnxRuntime } from '../../src/backend/onnxruntime.js';
import { tmpDir } from '../helpers/tmp.js';
import { useWasm } from '../helpers/backend.js';
import { BBT_DIR } from '../helpers/data.js';

function separation(fs_: FeatureSet): { same: number; diff: number } {
  const x = fs_.rows(),
    d = fs_.dim;
  const sum = [0, 0],
    count = [0, 0];
  for (let i = 0; i < fs_.count; i++)
    for (let j = i + 1; j < fs_.count; j++) {
      let v = 0;
      for (let k = 0; k < d; k++) v += x[i * d + k] * x[j * d + k];
      const k = fs_.items[i].identity === fs_.items[j].identity ? 0 : 1;
      sum[k] += v;
      count[k]++;
    }
  return { same: sum[0] / count[0], diff: sum[1] / count[1] };
}

for (const [model, dim] of [
  ['human/faceres', 1024],
  ['faceapi/recognition', 128],
  ['human/mobileface', 256],
] as const) {
  test(
    `${model}: ${dim}-d unit-norm features of real faces; same person closer than different people`,
    { skip: !fs.existsSync(BBT_DIR) && 'no ../shared/data' },
    async () => {
      await useWasm();
      const out = path.join(tmpDir(), 'fs');
      const r = await extractFeatures({ data: BBT_DIR, model, out, crops: true });
      const set = FeatureSet.open(out);
      assert.equal(set.dim, dim);
      assert.equal(set.model.id, model);
      assert.ok(set.count >= 25, `${set.count} of 40 faces found (${r.skipped.map((s) => s.path).join(', ')})`);
      assert.equal(set.count + (set.manifest.skipped?.length ?? 0), 40, 'every image is either a row or listed as skipped');
      const x = set.rows();
      for (let i = 0; i < set.count; i++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += x[i * dim + k] ** 2;
        assert.ok(Math.abs(Math.sqrt(s) - 1) < 1e-4, `row ${i} has norm ${Math.sqrt(s)}`);
      }
      const { same, diff } = separation(set);
      assert.ok(same > diff + 0.05, `mean same-person cosine ${same} vs different-person ${diff}`);
      const crops = set.crops();
      assert.equal(crops.length, set.count * 56 * 56 * 3);
      let mean = 0;
      for (const v of crops) mean += v;
      mean /= crops.length;
      assert.ok(mean > 20 && mean < 235, `crops hold image content (mean ${mean})`);
      console.log(`${model}: ${set.count}/40 faces, same-person cosine ${same.toFixed(3)} vs different ${diff.toFixed(3)}`);
    },
  );
}

test(
  'two Human models in one process each use their own weights (faceres-deep ≠ faceres)',
  { skip: !fs.existsSync(BBT_DIR) && 'no ../shared/data' },
  async () => {
    await useWasm();
    const dir = tmpDir();
    for (const model of ['human/faceres', 'human/faceres-deep'])
      await extractFeatures({ data: BBT_DIR, model, out: path.join(dir, model.replace('/', '-')), limit: 3 });
    const a = FeatureSet.open(path.join(dir, 'human-faceres')),
      b = FeatureSet.open(path.join(dir, 'human-faceres-deep'));
    const x = a.rows(),
      y = b.rows();
    let dot = 0;
    for (let k = 0; k < 1024; k++) dot += x[k] * y[k];
    assert.ok(dot < 0.99, `faceres and faceres-deep features of the same face have cosine ${dot}: one model answered for both`);
  },
);

test(
  'corrupt and face-less images are reported and skipped; an interrupted extraction resumes',
  { skip: !fs.existsSync(BBT_DIR) && 'no ../shared/data' },
  async () => {
    await useWasm();
    const data = path.join(tmpDir(), 'data');
    for (const id of ['amy', 'raj']) {
      fs.mkdirSync(path.join(data, id), { recursive: true });
      for (const k of [1, 2, 3]) fs.copyFileSync(path.join(BBT_DIR, id, `${id}${k}.png`), path.join(data, id, `${id}${k}.png`));
    }
    fs.mkdirSync(path.join(data, 'zz'));
    fs.writeFileSync(path.join(data, 'zz', 'broken.jpg'), Buffer.from('definitely not a jpeg'));
    const grad = Buffer.alloc(120 * 120 * 3);
    for (let i = 0; i < grad.length; i++) grad[i] = (i / 3) % 120;
    await sharp(grad, { raw: { width: 120, height: 120, channels: 3 } })
      .png()
      .toFile(path.join(data, 'zz', 'gradient.png'));
    const before = fs.readdirSync(path.join(data, 'zz'));

    const out = path.join(tmpDir(), 'fs');
    let seen = 0;
    await assert.rejects(
      extractFeatures({
        data,
        model: 'human/faceres',
        out,
        onImage: () => {
          if (++seen === 3) throw new Error('interrupted');
        },
      }),
      /interrupted/,
    );
    assert.ok(!fs.existsSync(out) && fs.existsSync(`${out}.partial`), 'nothing final before the run completes');
    let resumedFrom = -1;
    const r = await extractFeatures({
      data,
      model: 'human/faceres',
      out,
      onStart: (_total, done) => {
        resumedFrom = done;
      },
    });
    assert.equal(resumedFrom, 3, 'the rerun skipped the three images already done');
    const set = FeatureSet.open(out);
    const skipped = Object.fromEntries((set.manifest.skipped ?? []).map((s) => [s.path, s.reason]));
    assert.match(skipped['zz/broken.jpg'], /cannot decode/);
    assert.equal(skipped['zz/gradient.png'], 'no face found');
    assert.equal(r.skipped.length, 2);
    assert.deepEqual(
      set.items.map((i) => i.path),
      listDataset(data)
        .map((i) => i.path)
        .filter((p) => !p.startsWith('zz/')),
      'rows in dataset order',
    );
    assert.ok(!fs.existsSync(`${out}.partial`));
    assert.deepEqual(fs.readdirSync(path.join(data, 'zz')), before, 'inputs untouched');
  },
);

test(
  "each zoo model's detection stage alone (detect, timed apart by bench:extract) finds the faces embed uses, and none in a blank image",
  { skip: !fs.existsSync(BBT_DIR) && 'no ../shared/data' },
  async () => {
    await useWasm();
    const blank = { data: new Uint8Array(160 * 160 * 3).fill(128), width: 160, height: 160 };
    const imgs = await Promise.all(listDataset(BBT_DIR, { perIdentity: 1, limit: 3 }).map((it) => decodeRgb(path.join(BBT_DIR, it.path))));
    for (const model of ['human/faceres', 'human/mobileface', 'faceapi/recognition']) {
      const embedder = await zooEntry(model).create();
      assert.ok(embedder.detect, `${model} has a detection stage`);
      for (const img of imgs) {
        const e = await embedder.embed(img);
        const n = await embedder.detect(img);
        assert.ok(e == null || n >= 1, `${model}: embed used a face but detect found ${n}`);
      }
      assert.equal(await embedder.embed(blank), null, `${model}: a face in a blank image`);
      assert.equal(await embedder.detect(blank), 0, `${model}: detect found a face in a blank image`);
    }
  },
);

test(
  "the zoo's networks on onnxruntime give the features and crops their libraries give on TF.js (cosine ≥ 0.999 on real faces)",
  { skip: (!fs.existsSync(BBT_DIR) && 'no ../shared/data') || (!(await loadOnnxRuntime()) && 'onnxruntime-node missing') },
  async () => {
    await useWasm();
    const imgs = await Promise.all(listDataset(BBT_DIR, { perIdentity: 1, limit: 4 }).map((it) => decodeRgb(path.join(BBT_DIR, it.path))));
    for (const model of ['human/faceres', 'human/faceres-deep', 'human/mobileface', 'human/mobilefacenet', 'faceapi/recognition']) {
      const human = await zooEntry(model).create({ runtime: 'tfjs' });
      const onnx = await zooEntry(model).create({ runtime: 'onnx', threads: 1 });
      const networks = onnx.lineage.preprocessing.networks as Record<string, string>;
      const detector = model.startsWith('faceapi')
        ? ['ssdMobilenetv1', 'faceRecognitionNet']
        : ['blazeface', 'facemesh', ...(model.includes('faceres') ? [] : ['model'])];
      for (const net of detector) assert.equal(networks[net], 'onnxruntime', `${model}: ${JSON.stringify(networks)}`);
      let least = 1;
      for (const img of imgs) {
        const a = await human.embed(img),
          b = await onnx.embed(img);
        assert.ok(a && b, `${model}: a face on one runtime only`);
        let dot = 0;
        for (let k = 0; k < a.embedding.length; k++) dot += a.embedding[k] * b.embedding[k];
        assert.ok(dot >= 0.999, `${model}: cosine ${dot} between the TF.js and onnxruntime features`);
        assert.equal(a.faces, b.faces);
        let diff = 0;
        for (let k = 0; k < a.crop.length; k++) diff += Math.abs(a.crop[k] - b.crop[k]);
        assert.ok(diff / a.crop.length < 1, `${model}: crops differ by ${diff / a.crop.length} per value`);
        least = Math.min(least, dot);
      }
      console.log(`${model}: least cosine between the TF.js and onnxruntime features ${least.toFixed(7)} (${imgs.length} faces)`);
    }
  },
);
