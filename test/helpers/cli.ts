import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const R3AN_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/r3an.js');

export function r3an(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [R3AN_BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts r3an and kills it (SIGKILL, as a crash or power loss would) once `until()` holds. */
export function r3anKilledWhen(args: string[], until: () => boolean, timeoutMs = 300_000): Promise<{ killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [R3AN_BIN, ...args], { stdio: 'ignore' });
    const t0 = Date.now();
    const timer = setInterval(() => {
      if (until()) {
        clearInterval(timer);
        child.kill('SIGKILL');
      } else if (Date.now() - t0 > timeoutMs) {
        clearInterval(timer);
        child.kill('SIGKILL');
        reject(new Error('timed out waiting to kill r3an'));
      }
    }, 50);
    child.on('exit', (_code, signal) => {
      clearInterval(timer);
      resolve({ killed: signal === 'SIGKILL' });
    });
  });
}
