// `r3an demo --quick` end to end on a small LFW subset: features → split → linear, FC, R³AN → evaluation →
// report, rendered in headless Chromium. Then the rerun reuses every stage, and `r3an report` works alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentResults } from '../../src/experiment/experiment.js';
import type { SpaceEval } from '../../src/experiment/evaluate.js';
import { experimentMarkdown } from '../../src/experiment/markdown.js';
import { r3an } from '../helpers/cli.js';
import { LFW_DIR } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';
import { renderPage } from '../helpers/browser.js';

const skip = !fs.existsSync(LFW_DIR) && 'no ../shared/data';
const SCREENSHOTS = process.env.R3AN_SCREENSHOTS ?? path.join(tmpDir(), 'screenshots');

function assertSane(name: string, e: SpaceEval) {
  const inUnit = (x: number, what: string) => assert.ok(Number.isFinite(x) && x >= 0 && x <= 1, `${name}: ${what} = ${x}`);
  inUnit(e.identification.rank1, 'rank-1');
  e.identification.cmc.forEach((c, i) => {
    inUnit(c, `CMC[${i}]`);
    if (i) assert.ok(c >= e.identification.cmc[i - 1], `${name}: CMC decreases at rank ${i + 1}`);
  });
  assert.ok(e.identification.pairs > 0, `${name}: no probe/mate pairs`);
  inUnit(e.verification.accuracy.mean, 'verification accuracy');
  assert.ok(e.verification.roc.length > 0);
}

async function assertRendered(index: string, shot: string, minImages: number) {
  const page = await renderPage(index, shot);
  assert.ok(page.images.length >= minImages, `only ${page.images.length} images`);
  for (const img of page.images) assert.ok(img.loaded && img.width > 50 && img.height > 50, `image ${img.src} did not load`);
  assert.deepEqual(page.failedRequests, []);
  assert.ok(fs.statSync(shot).size > 10_000, 'screenshot written');
  console.log(`screenshot: ${shot}`);
  return page;
}

test('r3an demo --quick: results in range, a report that renders, a rerun that reuses everything', { skip, timeout: 900_000 }, async () => {
  const out = path.join(tmpDir(), 'demo');
  const args = ['demo', '--quick', '--data', LFW_DIR, '--out', out, '--limit', '60', '--epochs', '1', '--fc-epochs', '3', '--threads', '2'];
  const first = r3an(args);
  assert.equal(first.code, 0, first.stderr);
  const results = JSON.parse(fs.readFileSync(path.join(out, 'demo.json'), 'utf8')) as ExperimentResults;
  assert.equal(results.kind, 'demo');
  assert.ok(
    results.split.testIdentities > 0 && results.split.trainImages > 0 && results.split.distractorImages > 0,
    JSON.stringify(results.split),
  );
  for (const [m, e] of Object.entries(results.self)) assertSane(m, e);
  const rows = results.pairs[0].rows;
  assert.deepEqual(Object.keys(rows).sort(), ['fc', 'linear', 'r3an']);
  for (const [a, r] of Object.entries(rows)) {
    assertSane(a, r!.eval);
    assert.ok(r!.eval.cosine! > -1 && r!.eval.cosine! <= 1);
  }
  assert.match(fs.readFileSync(path.join(out, 'demo.md'), 'utf8'), /\| faceapi\/recognition → human\/faceres \|/);

  const page = await assertRendered(path.join(out, 'report', 'index.html'), path.join(SCREENSHOTS, 'demo-report.png'), 5);
  assert.ok(
    page.images.some((i) => i.src === 'reconstruction.png'),
    'the R³AN report shows reconstructions',
  );
  assert.ok(page.tables.length >= 3 && page.tables.every((t) => t.rows >= 1), JSON.stringify(page.tables));
  assert.ok(page.sections.some((s) => /Fig\. 5/.test(s)));

  const again = r3an(args);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stderr.match(/reusing/g) ?? []).length, 5, again.stderr); // 2 feature sets, 3 mappers
  assert.doesNotMatch(again.stderr, /extracting|training \(/);

  // the same results in the Table 3 layout (one row per architecture)
  const t3 = experimentMarkdown({ ...results, kind: 'table3' });
  for (const label of ['Linear (ridge)', 'FC', 'R³AN']) assert.match(t3, new RegExp(`\\| ${label.replace(/[()]/g, '\\$&')} \\|`));

  // `r3an report` on its own, for a mapper without a generator
  const split = path.join(out, 'split');
  const alone = path.join(out, 'report-fc');
  const rep = r3an([
    'report',
    '--mapper',
    path.join(out, 'mappers', 'faceapi-recognition--human-faceres', 'fc'),
    '--source',
    path.join(split, 'faceapi-recognition', 'test'),
    '--target',
    path.join(split, 'human-faceres', 'test'),
    '--distractors',
    path.join(split, 'human-faceres', 'distractors'),
    '--out',
    alone,
    '--threads',
    '1',
  ]);
  assert.equal(rep.code, 0, rep.stderr);
  const p2 = await assertRendered(path.join(alone, 'index.html'), path.join(SCREENSHOTS, 'fc-report.png'), 3);
  assert.ok(!p2.images.some((i) => i.src === 'reconstruction.png'));
});
