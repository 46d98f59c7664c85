// Nothing lost, nothing silently wrong: one regression test per item of the reliability review
// (output paths, diverged mappers, degenerate inputs, temp files). Each runs the CLI as a user would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFeatureSet, FeatureSet } from '../../src/features/feature-set.js';
import { identificationWithDistractors, closedSetIdentification } from '../../src/eval/identification.js';
import { scorePairs } from '../../src/eval/verification.js';
import { spawnSync } from 'node:child_process';
import { r3an, R3AN_BIN } from '../helpers/cli.js';
import { writeSyntheticPair, makeSynthetic } from '../helpers/synthetic.js';
import { tmpDir } from '../helpers/tmp.js';

const SYN = { identities: 12, perIdentity: 4, ds: 16, dt: 12 };
const oneLine = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('backend:') && !l.startsWith('warning:'));

/** A synthetic pair and a linear mapper trained on it (fast: closed form). */
function fixture() {
  const dir = tmpDir();
  const { source, target } = writeSyntheticPair(dir, SYN);
  const mapper = path.join(dir, 'mapper');
  const r = r3an(['train', '--source', source, '--target', target, '--out', mapper, '--arch', 'linear', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  return { dir, source, target, mapper };
}

function snapshot(dir: string): string {
  const walk = (d: string): string[] =>
    fs
      .readdirSync(d)
      .sort()
      .flatMap((f) => {
        const p = path.join(d, f);
        return fs.statSync(p).isDirectory() ? walk(p) : [`${p}:${fs.readFileSync(p).toString('base64')}`];
      });
  return walk(dir).join('\n');
}

test('1. map/extract --out refuse an unrelated directory, a file, the mapper and the input; --force replaces', () => {
  const f = fixture();
  const unrelated = path.join(f.dir, 'notes');
  fs.mkdirSync(unrelated);
  fs.writeFileSync(path.join(unrelated, 'notes.txt'), 'mine');
  const file = path.join(f.dir, 'file.txt');
  fs.writeFileSync(file, 'mine');
  const before = snapshot(f.dir);
  for (const out of [unrelated, file, f.mapper, f.source, path.join(f.source, 'inner')]) {
    const r = r3an(['map', '--mapper', f.mapper, '--in', f.source, '--out', out, '--backend', 'cpu']);
    assert.notEqual(r.code, 0, `map --out ${out} must be refused`);
    assert.match(r.stderr, /--out/);
  }
  const data = path.join(f.dir, 'faces');
  fs.mkdirSync(path.join(data, 'a'), { recursive: true });
  fs.writeFileSync(path.join(data, 'a', 'x.txt'), 'not an image');
  const e = r3an(['extract', '--data', data, '--model', 'human/faceres', '--out', data, '--backend', 'cpu']);
  assert.notEqual(e.code, 0);
  assert.match(e.stderr, /may not be, contain or lie inside the input/);
  assert.ok(fs.existsSync(path.join(data, 'a', 'x.txt')), 'the data folder is intact');
  assert.equal(
    snapshot(f.dir)
      .split('\n')
      .filter((l) => !l.includes('/faces/'))
      .join('\n'),
    before,
    'nothing was changed',
  );
  const ok = r3an(['map', '--mapper', f.mapper, '--in', f.source, '--out', unrelated, '--force', '--backend', 'cpu']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(FeatureSet.open(unrelated).count, SYN.identities * SYN.perIdentity);
  // a previous output of the same kind is replaced without --force
  assert.equal(r3an(['map', '--mapper', f.mapper, '--in', f.source, '--out', unrelated, '--backend', 'cpu']).code, 0);
});

test('2. eval --json refuses to overwrite a file that is not a previous result', () => {
  const f = fixture();
  const manifest = path.join(f.target, 'manifest.json');
  const before = fs.readFileSync(manifest, 'utf8');
  const r = r3an([
    'eval',
    'identification',
    '--probe',
    f.source,
    '--gallery',
    f.target,
    '--mapper',
    f.mapper,
    '--json',
    manifest,
    '--backend',
    'cpu',
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--json/);
  assert.equal(fs.readFileSync(manifest, 'utf8'), before);
  const out = path.join(f.dir, 'eval.json');
  for (let i = 0; i < 2; i++)
    assert.equal(
      r3an(['eval', 'identification', '--probe', f.source, '--gallery', f.target, '--mapper', f.mapper, '--json', out, '--backend', 'cpu'])
        .code,
      0,
      'a previous result is replaced',
    );
});

test('3. the wasm worker file lives in a private mkdtemp directory, removed on exit', async () => {
  const before = new Set(fs.readdirSync(os.tmpdir()));
  const planted = path.join(os.tmpdir(), `r3an-wasm-worker-${process.pid}.cjs`);
  // a directory left by a killed r3an (a pid above Linux's pid_max cannot be running)
  const stale = path.join(os.tmpdir(), 'r3an-wasm-99999999-leftover');
  fs.mkdirSync(stale, { recursive: true });
  fs.writeFileSync(path.join(stale, 'worker.cjs'), '');
  await import('@tensorflow/tfjs-backend-wasm'); // registers the flag the patch sets
  const { enableWasmThreadsInNode } = await import('../../src/backend/wasm-threads.js');
  const realCpus = os.cpus,
    realCreate = URL.createObjectURL;
  try {
    enableWasmThreadsInNode();
    const added = fs.readdirSync(os.tmpdir()).filter((n) => !before.has(n));
    const dir = added.find((n) => n.startsWith('r3an-wasm-'));
    assert.ok(dir, 'a private directory was made');
    assert.equal(fs.statSync(path.join(os.tmpdir(), dir)).mode & 0o777, 0o700);
    assert.ok(!fs.existsSync(planted), 'no predictable name in the shared temp directory');
    assert.ok(!fs.existsSync(stale), "a killed run's worker directory is removed");
  } finally {
    (os as { cpus: typeof os.cpus }).cpus = realCpus;
    URL.createObjectURL = realCreate;
  }
});

test('4. a diverged mapper: training fails, map and eval refuse non-finite output', async () => {
  const f = fixture();
  const bad = r3an([
    'train',
    '--source',
    f.source,
    '--target',
    f.target,
    '--out',
    path.join(f.dir, 'fc'),
    '--arch',
    'fc',
    '--epochs',
    '2',
    '--lr-fc',
    '1e30',
    '--backend',
    'cpu',
  ]);
  assert.notEqual(bad.code, 0, 'training that diverges exits non-zero');
  assert.match(bad.stderr, /non-finite|became (NaN|Infinity)/);
  // a mapper whose weights are NaN: map and eval refuse it
  const m = JSON.parse(fs.readFileSync(path.join(f.mapper, 'mapping', 'model.json'), 'utf8'));
  const bin = path.join(f.mapper, 'mapping', m.weightsManifest[0].paths[0]);
  fs.writeFileSync(bin, Buffer.from(new Float32Array(fs.statSync(bin).size / 4).fill(NaN).buffer));
  const map = r3an(['map', '--mapper', f.mapper, '--in', f.source, '--out', path.join(f.dir, 'mapped'), '--backend', 'cpu']);
  assert.notEqual(map.code, 0);
  assert.match(map.stderr, /non-finite|NaN/);
  assert.ok(!fs.existsSync(path.join(f.dir, 'mapped')), 'nothing written');
  const ev = r3an(['eval', 'identification', '--probe', f.source, '--gallery', f.target, '--mapper', f.mapper, '--backend', 'cpu']);
  assert.notEqual(ev.code, 0);
  assert.match(ev.stderr, /non-finite|NaN/);
  const x = new Float32Array([NaN, 0, 1, 0, 0, 1, 1, 0]);
  await assert.rejects(() => closedSetIdentification(x, x, ['a', 'a', 'b', 'b'], 2), /non-finite/);
});

test('5. missing identities: identification and verification refuse', async () => {
  const x = new Float32Array([1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9]);
  await assert.rejects(() => closedSetIdentification(x, x, ['', '', '', ''], 2), /at least 2 identities/);
  await assert.rejects(
    () => identificationWithDistractors({ probes: x, gallery: x, identities: ['a', 'a', '', ''], distractors: x, dim: 2 }),
    /at least 2 identities/,
  );
  assert.throws(() => scorePairs(x, x, 2, [{ a: 0, b: 1, same: true }]), /both same-identity and different-identity/);
});

test('6. duplicate image paths are refused when pairing', () => {
  const dir = tmpDir();
  const s = makeSynthetic(SYN);
  const items = s.items.map((it) => ({ ...it, path: s.items[0].path }));
  writeFeatureSet(`${dir}/s`, { model: { id: 'syn/s', dim: SYN.ds, normalization: 'l2', preprocessing: {} }, items, features: s.x });
  writeFeatureSet(`${dir}/t`, { model: { id: 'syn/t', dim: SYN.dt, normalization: 'l2', preprocessing: {} }, items, features: s.y });
  const r = r3an(['train', '--source', `${dir}/s`, '--target', `${dir}/t`, '--out', `${dir}/m`, '--arch', 'linear', '--backend', 'cpu']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /listed more than once/);
  assert.equal(oneLine(r.stderr).length, 1, r.stderr);
});

test('7. negative and zero numeric options are refused with one message style', () => {
  const f = fixture();
  const data = tmpDir();
  for (const args of [
    ['extract', '--data', data, '--model', 'human/faceres', '--out', `${f.dir}/x`, '--limit=-5'],
    ['extract', '--data', data, '--model', 'human/faceres', '--out', `${f.dir}/x`, '--per-identity=-1'],
    ['map', '--mapper', f.mapper, '--in', f.source, '--out', `${f.dir}/y`, '--chunk', '0'],
    ['extract', '--data', data, '--model', 'human/faceres', '--out', `${f.dir}/x`, '--limit', '-1'],
  ]) {
    const r = r3an(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--(limit|per-identity|chunk)\b.*(must be|may not start)/);
    assert.ok(!fs.existsSync(`${f.dir}/y`) && !fs.existsSync(`${f.dir}/x`));
  }
});

test('8. zero and unnormalised rows in an l2 set are refused on read', () => {
  const dir = tmpDir();
  const s = makeSynthetic(SYN);
  for (const [name, change] of [
    ['zero', 0],
    ['scaled', 1000],
  ] as const) {
    const x = Float32Array.from(s.x);
    for (let j = 0; j < SYN.ds; j++) x[3 * SYN.ds + j] *= change;
    writeFeatureSet(`${dir}/${name}`, {
      model: { id: 'syn/s', dim: SYN.ds, normalization: 'l2', preprocessing: {} },
      items: s.items,
      features: x,
    });
    assert.throws(() => FeatureSet.open(`${dir}/${name}`).rows(), /row 3 .* has norm .* L2-normalised/);
  }
});

test('9. mapper.json paths pointing outside the mapper are refused; a missing "files" is named', () => {
  const f = fixture();
  const other = fixture();
  const mj = path.join(f.mapper, 'mapper.json');
  const m = JSON.parse(fs.readFileSync(mj, 'utf8'));
  fs.writeFileSync(
    mj,
    JSON.stringify({ ...m, files: { mapping: path.relative(f.mapper, path.join(other.mapper, 'mapping', 'model.json')) } }),
  );
  const r = r3an(['map', '--mapper', f.mapper, '--in', f.source, '--out', `${f.dir}/mapped`, '--backend', 'cpu']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /points outside the mapper directory/);
  const { files: _f, ...rest } = m;
  fs.writeFileSync(mj, JSON.stringify(rest));
  const r2 = r3an(['map', '--mapper', f.mapper, '--in', f.source, '--out', `${f.dir}/mapped`, '--backend', 'cpu']);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /"files" is missing/);
  assert.doesNotMatch(r2.stderr, /Cannot read properties/);
});

test('13. map warns when the mapper is an unfinished run', () => {
  const f = fixture();
  const mj = path.join(f.mapper, 'mapper.json');
  const m = JSON.parse(fs.readFileSync(mj, 'utf8'));
  fs.writeFileSync(mj, JSON.stringify({ ...m, training: { ...m.training, finished: false } }));
  const r = r3an(['map', '--mapper', f.mapper, '--in', f.source, '--out', `${f.dir}/mapped`, '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /unfinished training run/);
});

test('11. staging directories left by a killed process are removed when the target is written again', async () => {
  const { stageDir } = await import('../../src/io/atomic.js');
  const dir = tmpDir();
  const target = path.join(dir, 'out');
  // a pid that cannot be running (above Linux's pid_max)
  const stale = path.join(dir, `.out.tmp-99999999-abc`);
  fs.mkdirSync(stale);
  fs.writeFileSync(path.join(stale, 'x'), 'half-written');
  const keep = path.join(dir, `.out.tmp-${process.pid}-live`);
  fs.mkdirSync(keep);
  const s = stageDir(target);
  fs.writeFileSync(path.join(s.dir, 'y'), 'ok');
  s.commit();
  assert.ok(!fs.existsSync(stale), "the dead process's staging directory is gone");
  assert.ok(fs.existsSync(keep), "a live process's staging directory is left alone");
  assert.equal(fs.readFileSync(path.join(target, 'y'), 'utf8'), 'ok');
});

test('12. an extraction where every image fails exits non-zero and writes nothing', () => {
  const data = tmpDir();
  fs.mkdirSync(path.join(data, 'a'));
  fs.writeFileSync(path.join(data, 'a', '1.jpg'), 'not a jpeg');
  const out = path.join(tmpDir(), 'fs');
  const r = r3an(['extract', '--data', data, '--model', 'human/mobileface', '--out', out, '--backend', 'cpu']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no face features from any of its 1 images/);
  assert.ok(!fs.existsSync(out));
});

test('10. clear messages: missing crops do not stop map, --out ., a corrupt extraction state, truncated weights', () => {
  const f = fixture();
  fs.rmSync(path.join(f.source, 'crops.npy'));
  const r = r3an(['map', '--mapper', f.mapper, '--in', f.source, '--out', path.join(f.dir, 'mapped'), '--backend', 'cpu']);
  assert.equal(r.code, 0, `map never reads crops: ${r.stderr}`);
  const here = r3an(['map', '--mapper', f.mapper, '--in', path.join(f.dir, 'mapped'), '--out', '.', '--backend', 'cpu']);
  assert.notEqual(here.code, 0);
  assert.doesNotMatch(here.stderr, /EBUSY/);
  assert.match(here.stderr, /--out/);
  const data = tmpDir();
  fs.mkdirSync(path.join(data, 'a'));
  fs.writeFileSync(path.join(data, 'a', '1.jpg'), 'x');
  const out = path.join(tmpDir(), 'fs');
  fs.mkdirSync(`${out}.partial`);
  fs.writeFileSync(`${out}.partial/state.json`, '{"model": ');
  const e = r3an(['extract', '--data', data, '--model', 'human/mobileface', '--out', out, '--backend', 'cpu']);
  assert.notEqual(e.code, 0);
  assert.match(e.stderr, /state\.json: unreadable/);
  const bin = path.join(f.mapper, 'mapping', 'weights.bin');
  fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 100));
  const t = r3an(['map', '--mapper', f.mapper, '--in', f.target, '--out', path.join(f.dir, 'm2'), '--backend', 'cpu']);
  assert.notEqual(t.code, 0);
  assert.match(t.stderr, /mapping\/model\.json/);
});

test("11. onnxruntime's empty mat-debug-<pid>.log is removed when r3an exits", (t) => {
  const f = fixture();
  const r = spawnSync(
    process.execPath,
    [R3AN_BIN, 'map', '--mapper', f.mapper, '--in', f.source, '--out', path.join(f.dir, 'mapped'), '--backend', 'cpu', '--runtime', 'auto'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  if (!/onnxruntime/.test(r.stdout)) {
    t.skip('onnxruntime-node is not installed');
    return;
  }
  assert.ok(!fs.existsSync(path.join(os.tmpdir(), `mat-debug-${r.pid}.log`)));
});

test('12. identity folders that are symlinks count like images that are: both are followed', async () => {
  const { listDataset } = await import('../../src/faces/dataset.js');
  const real = tmpDir(),
    data = tmpDir();
  fs.mkdirSync(path.join(real, 'bob'));
  fs.writeFileSync(path.join(real, 'bob', '1.jpg'), 'x');
  fs.mkdirSync(path.join(data, 'alice'));
  fs.symlinkSync(path.join(real, 'bob', '1.jpg'), path.join(data, 'alice', '1.jpg'));
  fs.symlinkSync(path.join(real, 'bob'), path.join(data, 'bob'));
  fs.symlinkSync(path.join(real, 'gone'), path.join(data, 'broken'));
  assert.deepEqual(
    listDataset(data, {})
      .map((i) => i.path)
      .sort(),
    ['alice/1.jpg', 'bob/1.jpg'],
  );
});
