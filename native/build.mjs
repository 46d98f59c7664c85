// `npm install` hook: builds the optional native kernels (native/adam.c) with node-gyp, which npm
// provides, against the Node headers npm is configured with. Never fails the install: without a C
// compiler (or with R3AN_NATIVE=0) r3an uses its JS fallback, which gives the same numbers, slower.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const dir = path.dirname(fileURLToPath(import.meta.url));
if (process.env.R3AN_NATIVE === '0') {
  console.log('r3an: R3AN_NATIVE=0, native kernels not built');
} else {
  const gyp = process.env.npm_config_node_gyp;
  const [cmd, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
  const r = spawnSync(cmd, [...args, 'rebuild', '--loglevel', 'warn', '--directory', dir], { stdio: 'inherit', shell: !gyp && process.platform === 'win32' });
  if (r.status === 0) console.log('r3an: native kernels built (native/build/Release/r3an_native.node)');
  else console.warn('r3an: native kernels not built (no C compiler or Node headers?); training on onnxruntime uses the JS fallback');
}
