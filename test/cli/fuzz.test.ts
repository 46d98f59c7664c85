// Fuzz: a few hundred randomly corrupted copies of a tiny feature set pair and mapper go through
// `map`, `eval` and `train --arch linear` (in process, as the CLI runs them). Each run either
// succeeds with finite output or fails with a one-line message of r3an's own (never a JavaScript
// internal error), and never modifies its inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { mapCommand } from '../../src/cli/map-command.js';
import { evalCommand } from '../../src/cli/eval-command.js';
import { trainCommand } from '../../src/cli/train-command.js';
import { FeatureSet } from '../../src/features/feature-set.js';
import { mulberry32 } from '../../src/core/rng.js';
import { writeSyntheticPair } from '../helpers/synthetic.js';
import { tmpDir } from '../helpers/tmp.js';

const CASES = 240;
// what a JavaScript bug looks like, as opposed to a message r3an wrote
const INTERNAL =
  /Cannot read prop|is not a function|is not iterable|of undefined|of null|Invalid typed array length|out of bounds|Maximum call stack|\bat .*\.js:\d+/;

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}
const digest = (dir: string) =>
  files(dir)
    .sort()
    .map((f) => `${f}:${crypto.createHash('sha1').update(fs.readFileSync(f)).digest('hex')}`)
    .join('\n');

function corrupt(file: string, rand: () => number): string {
  const buf = fs.readFileSync(file);
  const kind = Math.floor(rand() * 5);
  if (kind === 0) {
    fs.writeFileSync(file, buf.subarray(0, Math.floor(rand() * buf.length)));
    return 'truncated';
  }
  if (kind === 1) {
    for (let k = 0; k < 1 + Math.floor(rand() * 8); k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
    fs.writeFileSync(file, buf);
    return 'bytes changed';
  }
  if (kind === 2) {
    fs.rmSync(file);
    return 'removed';
  }
  if (kind === 3 && file.endsWith('.json')) {
    // a structurally valid JSON with one field dropped or retyped
    try {
      const j = JSON.parse(buf.toString('utf8'));
      const keys = Object.keys(j);
      const k = keys[Math.floor(rand() * keys.length)];
      if (rand() < 0.5) delete j[k];
      else j[k] = [null, 0, -1, 'x', {}, []][Math.floor(rand() * 6)];
      fs.writeFileSync(file, JSON.stringify(j));
      return `field ${k} changed`;
    } catch {
      /* fall through */
    }
  }
  // float data: NaN or a huge value at a random float position past the header
  const at = 128 + 4 * Math.floor(rand() * Math.max(1, (buf.length - 128) / 4));
  if (at + 4 <= buf.length) buf.writeFloatLE(rand() < 0.5 ? NaN : 1e30, at);
  fs.writeFileSync(file, buf);
  return 'float poisoned';
}

test(`fuzz: ${CASES} corrupted inputs to map, eval and train --arch linear fail cleanly or succeed with finite output`, async () => {
  const base = tmpDir();
  const { source, target } = writeSyntheticPair(base, { identities: 8, perIdentity: 3, ds: 12, dt: 10 });
  const quiet = { log: console.log, error: console.error };
  console.log = () => {};
  console.error = () => {};
  try {
    await trainCommand([
      '--source',
      source,
      '--target',
      target,
      '--out',
      path.join(base, 'mapper'),
      '--arch',
      'linear',
      '--backend',
      'cpu',
    ]);
    const rand = mulberry32(42);
    const outcomes: Record<string, number> = {};
    for (let c = 0; c < CASES; c++) {
      const dir = tmpDir('r3an-fuzz-');
      fs.cpSync(base, dir, { recursive: true });
      const s = path.join(dir, 'source'),
        t = path.join(dir, 'target'),
        m = path.join(dir, 'mapper');
      const victims = files(dir);
      const victim = victims[Math.floor(rand() * victims.length)];
      const how = corrupt(victim, rand);
      const before = digest(dir);
      const command = ['map', 'eval', 'train'][c % 3];
      const out = path.join(dir, 'out');
      let error: Error | undefined;
      try {
        if (command === 'map') await mapCommand(['--mapper', m, '--in', s, '--out', out, '--backend', 'cpu', '--runtime', 'tfjs']);
        else if (command === 'eval')
          await evalCommand(['identification', '--probe', s, '--gallery', t, '--mapper', m, '--backend', 'cpu', '--runtime', 'tfjs']);
        else await trainCommand(['--source', s, '--target', t, '--out', out, '--arch', 'linear', '--backend', 'cpu']);
      } catch (e) {
        error = e as Error;
      }
      const label = `case ${c}: ${command} with ${path.relative(dir, victim)} ${how}`;
      if (error) {
        assert.ok(!error.message.includes('\n'), `${label}: a multi-line message: ${error.message}`);
        assert.doesNotMatch(error.message, INTERNAL, `${label}: an internal error: ${error.stack}`);
        assert.ok(error.message.includes(dir), `${label}: the message names no file: ${error.message}`);
      } else if (command === 'map') {
        assert.ok(FeatureSet.open(out).rows().every(Number.isFinite), `${label}: non-finite output`);
      }
      // the output may be new; nothing that was there before may change
      const after = digest(dir)
        .split('\n')
        .filter((l) => !l.startsWith(out))
        .join('\n');
      assert.equal(after, before, `${label}: an input was modified`);
      outcomes[`${command} ${error ? 'refused' : 'ok'}`] = (outcomes[`${command} ${error ? 'refused' : 'ok'}`] ?? 0) + 1;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    quiet.log(`fuzz outcomes: ${JSON.stringify(outcomes)}`);
  } finally {
    console.log = quiet.log;
    console.error = quiet.error;
  }
});
