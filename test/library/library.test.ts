// r3an as a library, as its users meet it: `import … from 'r3an'` changes nothing global; the packed
// tarball installs into a fresh project whose loadMapper maps like `r3an map`; the browser example
// page, served over HTTP to Debian's Chromium, maps like Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadMapper } from '../../src/index.js';
import { FeatureSet } from '../../src/features/feature-set.js';
import { CHROMIUM, CHROMIUM_FLAGS } from '../helpers/browser.js';
import { r3an } from '../helpers/cli.js';
import { writeSyntheticPair, makeSynthetic } from '../helpers/synthetic.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SCREENSHOTS = process.env.R3AN_SCREENSHOTS ?? path.join(tmpDir(), 'screenshots');
const SYN = { identities: 10, perIdentity: 3, ds: 16, dt: 12 };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test('importing r3an leaves os.cpus, URL.createObjectURL and globalThis.fetch untouched', () => {
  const script = `const os = await import('node:os'); const c = os.default.cpus, u = URL.createObjectURL, f = globalThis.fetch;
    const m = await import(${JSON.stringify(path.join(ROOT, 'dist/src/index.js'))});
    if (typeof m.loadMapper !== 'function') throw new Error('no loadMapper');
    console.log(JSON.stringify([os.default.cpus === c, URL.createObjectURL === u, globalThis.fetch === f]));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [true, true, true]);
});

/** Trains the three kinds of mapper on a synthetic pair (ridge, FC, R³AN), short runs. */
function trainMappers(dir: string): { source: string; target: string; mappers: Record<string, string> } {
  const { source, target } = writeSyntheticPair(dir, SYN);
  const mappers: Record<string, string> = {};
  for (const [arch, extra] of [
    ['linear', []],
    ['fc', ['--epochs', '2']],
    ['r3an', ['--epochs', '1', '--batch', '16', '--micro-batch', '16']],
  ] as const) {
    const out = path.join(dir, arch);
    const r = r3an(['train', '--source', source, '--target', target, '--out', out, '--arch', arch, '--threads', '1', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    mappers[arch] = out;
  }
  return { source, target, mappers };
}

test(
  'npm pack: a fresh project installs the tarball, imports loadMapper from "r3an" and maps like `r3an map`; its types resolve',
  { timeout: 600_000 },
  () => {
    const dir = tmpDir();
    const { source, mappers } = trainMappers(dir);
    const cli = path.join(dir, 'cli-mapped');
    assert.equal(r3an(['map', '--mapper', mappers.r3an, '--in', source, '--out', cli, '--threads', '1', '--runtime', 'tfjs']).code, 0);
    const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    })
      .trim()
      .split('\n')
      .pop()!;
    const tarball = path.join(dir, packed);
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    assert.doesNotMatch(listing, /package\/(test|dist\/test|bench|dist\/bench)\//, 'no tests or benchmarks in the package');
    assert.match(listing, /package\/dist\/src\/index\.js/);
    assert.match(listing, /package\/dist\/browser\/r3an\.js/);
    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
      cwd: app,
      stdio: 'pipe',
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    });
    fs.writeFileSync(
      path.join(app, 'main.mjs'),
      `import { loadMapper, readFeatureSet, useBackend } from 'r3an';
const [mapperDir, inDir] = process.argv.slice(2);
await useBackend({ backend: 'wasm', threads: 1 });
const mapper = await loadMapper(mapperDir);
const set = readFeatureSet(inDir);
const rows = []; for (let i = 0; i < set.count; i++) rows.push(set.rows(i, i + 1));
console.log(JSON.stringify({ source: mapper.source.id, out: mapper.map(rows).map((r) => Array.from(r)) }));
process.exit(0);`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ['main.mjs', mappers.r3an, source], { cwd: app, encoding: 'utf8' }));
    assert.equal(out.source, 'synthetic/source');
    const want = FeatureSet.open(cli).rows();
    assert.ok(maxDiff(out.out.flat(), want) < 1e-5, `library vs CLI: ${maxDiff(out.out.flat(), want)}`);
    // the published types resolve for a TypeScript consumer
    fs.writeFileSync(
      path.join(app, 'use.ts'),
      `import { loadMapper, type Mapper } from 'r3an';\nexport const m: Promise<Mapper> = loadMapper('x');\n`,
    );
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--skipLibCheck',
        'use.ts',
      ],
      { cwd: app, stdio: 'pipe' },
    );
  },
);

test(
  'the browser example maps ridge, FC and R³AN mappers over HTTP in Chromium exactly as Node does',
  { timeout: 600_000, skip: !fs.existsSync(CHROMIUM) && `${CHROMIUM} not found` },
  async () => {
    const dir = tmpDir();
    const { mappers } = trainMappers(dir);
    const probesRaw = makeSynthetic({ ...SYN, seed: 99 });
    const probes = Array.from({ length: 6 }, (_, i) => Array.from(probesRaw.x.subarray(i * SYN.ds, (i + 1) * SYN.ds)));
    const gallery = Array.from({ length: 8 }, (_, i) => ({
      label: probesRaw.items[i].identity,
      descriptor: Array.from(probesRaw.y.subarray(i * SYN.dt, (i + 1) * SYN.dt)),
    }));
    fs.writeFileSync(path.join(dir, 'probes.json'), JSON.stringify(probes));
    fs.writeFileSync(path.join(dir, 'gallery.json'), JSON.stringify(gallery));
    // the project root at /, the test's files at /t/ (127.0.0.1 only)
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const [base, rel] = url.pathname.startsWith('/t/') ? [dir, url.pathname.slice(3)] : [ROOT, url.pathname.slice(1)];
      let file = path.resolve(base, decodeURIComponent(rel));
      if (!file.startsWith(base)) {
        res.writeHead(403).end();
        return;
      }
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      if (!fs.existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const type =
        { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' }[path.extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    try {
      for (const [arch, m] of Object.entries(mappers)) {
        const page = await browser.newPage();
        const failed: string[] = [];
        page.on('requestfailed', (r) => failed.push(r.url()));
        page.on('response', (r) => {
          if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
        });
        await page.goto(
          `http://127.0.0.1:${port}/examples/browser/?mapper=/t/${path.basename(m)}/&probes=/t/probes.json&gallery=/t/gallery.json`,
        );
        await page.waitForFunction('window.r3anResult !== undefined', undefined, { timeout: 120_000 });
        const got = (await page.evaluate('window.r3anResult')) as { mapped?: number[][]; error?: string; ms: number; backend: string };
        assert.ok(!got.error, `${arch}: ${got.error}`);
        const node = await loadMapper(m);
        const want = node.map(probes.map((p) => Float32Array.from(p)));
        node.dispose();
        const d = maxDiff(
          got.mapped!.flat(),
          want.flatMap((r) => Array.from(r)),
        );
        assert.ok(d < 1e-4, `${arch}: browser vs Node max difference ${d}`);
        assert.deepEqual(failed, []);
        fs.mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SCREENSHOTS, `browser-${arch}.png`), fullPage: true });
        console.log(
          `browser ${arch}: ${probes.length} descriptors in ${got.ms.toFixed(1)} ms on TF.js ${got.backend}; max |browser − node| ${d.toExponential(2)}`,
        );
        await page.close();
      }
    } finally {
      await browser.close();
      server.close();
    }
  },
);
