// Dataset fetching against a local HTTP server on 127.0.0.1 serving a tiny archive built here:
// a clean download, a truncated one that resumes, a wrong checksum, and a local copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { create } from 'tar';
import { fetchDataset, LFW, type RemoteDataset } from '../../src/datasets/remote-dataset.js';
import { tmpDir } from '../helpers/tmp.js';
import { LFW_DIR } from '../helpers/data.js';

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

async function tinyDataset(): Promise<{ files: Record<string, Buffer>; spec: (base: string) => RemoteDataset }> {
  const src = tmpDir();
  for (const [id, n] of [
    ['Ada_Lovelace', 2],
    ['Alan_Turing', 1],
  ] as const) {
    fs.mkdirSync(path.join(src, 'faces', id), { recursive: true });
    for (let i = 1; i <= n; i++) fs.writeFileSync(path.join(src, 'faces', id, `${id}_000${i}.jpg`), crypto.randomBytes(3000));
  }
  const archive = path.join(src, 'faces.tgz');
  await create({ gzip: true, file: archive, cwd: src }, ['faces']);
  const files = {
    'faces.tgz': fs.readFileSync(archive),
    'pairs.txt': Buffer.from('1 1\nAda_Lovelace\t1\t2\nAda_Lovelace\t1\tAlan_Turing\t1\n'),
  };
  return {
    files,
    spec: (base) => ({
      name: 'tiny',
      baseUrl: base,
      archive: { name: 'faces.tgz', md5: md5(files['faces.tgz']), folder: 'faces' },
      files: [{ name: 'pairs.txt', md5: md5(files['pairs.txt']) }],
    }),
  };
}

/** Serves `files`; while `truncate` is set, announces the full length but sends half and hangs up. */
function serve(files: Record<string, Buffer>) {
  const state = { truncate: false, ranges: [] as string[], requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    const body = files[path.basename(req.url ?? '')];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    if (range) state.ranges.push(req.headers.range!);
    const start = range ? Number(range[1]) : 0;
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'Content-Length': part.length,
      ...(range ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (state.truncate) {
      res.write(part.subarray(0, Math.floor(part.length / 2)));
      setTimeout(() => res.destroy(), 20);
    } else res.end(part);
  });
  return new Promise<{ base: string; state: typeof state; close: () => void }>((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/data/`, state, close: () => server.close() }),
    );
  });
}

test('fetch: downloads, verifies, unpacks; a second call uses the cache', async () => {
  const { files, spec } = await tinyDataset();
  const srv = await serve(files);
  try {
    const dir = path.join(tmpDir(), 'tiny');
    const r = await fetchDataset(spec(srv.base), { dir });
    assert.equal(r.source, 'download');
    assert.deepEqual(fs.readdirSync(r.images).sort(), ['Ada_Lovelace', 'Alan_Turing']);
    assert.equal(fs.readFileSync(path.join(dir, 'pairs.txt'), 'utf8'), files['pairs.txt'].toString());
    assert.ok(!fs.existsSync(path.join(dir, 'faces.tgz')), 'the archive is removed once unpacked');
    const before = srv.state.requests;
    assert.equal((await fetchDataset(spec(srv.base), { dir })).source, 'cache');
    assert.equal(srv.state.requests, before, 'no request for a complete copy');
  } finally {
    srv.close();
  }
});

test('fetch: a truncated download fails clearly, keeps its bytes and resumes with a Range request', async () => {
  const { files, spec } = await tinyDataset();
  const srv = await serve(files);
  try {
    const dir = path.join(tmpDir(), 'tiny');
    srv.state.truncate = true;
    await assert.rejects(fetchDataset(spec(srv.base), { dir }), /run again to resume/);
    const part = fs.readdirSync(dir).find((f) => f.endsWith('.part'));
    assert.ok(part, 'the partial download is kept');
    const kept = fs.statSync(path.join(dir, part)).size;
    assert.ok(kept > 0);
    srv.state.truncate = false;
    const r = await fetchDataset(spec(srv.base), { dir });
    assert.ok(srv.state.ranges.includes(`bytes=${kept}-`), `resumed from byte ${kept} (ranges asked: ${srv.state.ranges})`);
    assert.deepEqual(fs.readdirSync(r.images).sort(), ['Ada_Lovelace', 'Alan_Turing']);
    assert.equal(fs.readdirSync(path.join(r.images, 'Ada_Lovelace')).length, 2);
  } finally {
    srv.close();
  }
});

test('fetch: a wrong checksum is refused with both sums and nothing is unpacked', async () => {
  const { files, spec } = await tinyDataset();
  const srv = await serve(files);
  try {
    const dir = path.join(tmpDir(), 'tiny');
    const bad = spec(srv.base);
    bad.archive.md5 = '0'.repeat(32);
    await assert.rejects(
      fetchDataset(bad, { dir }),
      (e: Error) => /checksum mismatch/.test(e.message) && e.message.includes(md5(files['faces.tgz'])) && e.message.includes('faces.tgz'),
    );
    assert.ok(!fs.existsSync(path.join(dir, 'faces')), 'no images from a corrupt archive');
    assert.ok(!fs.readdirSync(dir).some((f) => f.startsWith('faces.tgz')), 'the corrupt download is deleted');
  } finally {
    srv.close();
  }
});

test(
  'fetch: a complete local copy is used as it is; an incomplete one is refused',
  { skip: !fs.existsSync(LFW_DIR) && 'no ../shared/data' },
  async () => {
    const r = await fetchDataset(LFW, { from: LFW_DIR });
    assert.equal(r.source, 'local copy');
    assert.equal(r.images, path.join(LFW_DIR, 'lfw-deepfunneled'));
    const partial = tmpDir();
    fs.copyFileSync(path.join(LFW_DIR, 'pairs.txt'), path.join(partial, 'pairs.txt'));
    await assert.rejects(fetchDataset(LFW, { from: partial }), /missing lfw-deepfunneled, people\.txt/);
  },
);
