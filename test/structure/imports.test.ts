// The import graph of src/: no circles, and no import from a lower layer up into cli/, experiment/
// or report/ (imports flow cli → experiment/report → train/eval/faces/mapper → features/nn/onnx/io/core).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/structure → the package root
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const src = path.join(root, 'src');

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const text = fs.readFileSync(p, 'utf8');
        // static imports and re-exports (type-only ones too: they are dependencies of the design)
        const deps = [...text.matchAll(/^(?:import|export)[^'"]*?from '(\.[^']+)'/gm)].map((m) =>
          path.relative(src, path.resolve(path.dirname(p), m[1].replace(/\.js$/, '.ts'))),
        );
        g.set(path.relative(src, p), deps);
      }
    }
  };
  walk(src);
  return g;
}

test('src/ has no import circle', () => {
  const g = graph();
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const d of g.get(f) ?? []) visit(d, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of g.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('no import from a lower layer up into cli/, experiment/ or report/', () => {
  const top = (f: string) => f.split(path.sep)[0];
  const upper = new Set(['cli', 'experiment', 'report']);
  const bad: string[] = [];
  for (const [f, deps] of graph()) {
    for (const d of deps) {
      const from = top(f),
        to = top(d);
      if (to === 'cli' && from !== 'cli') bad.push(`${f} → ${d}`);
      else if (upper.has(to) && !upper.has(from) && !['index.ts', 'browser.ts'].includes(f)) bad.push(`${f} → ${d}`);
    }
  }
  assert.deepEqual(bad, []);
});
