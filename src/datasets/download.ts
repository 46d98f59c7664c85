// Downloads that survive interruption: bytes go to FILE.part, a rerun resumes with an HTTP Range request,
// the finished file is checked against its MD5 before it takes its final name.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

export class DownloadError extends Error {}

export interface DownloadProgress {
  onStart?: (total: number | undefined, have: number) => void;
  onBytes?: (n: number) => void;
}

export function md5File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash('md5');
    fs.createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

function get(url: string, headers: Record<string, string>, redirects = 5): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { headers }, (res) => {
      const loc = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc) {
        res.resume();
        if (redirects === 0) {
          reject(new DownloadError(`${url}: too many redirects`));
          return;
        }
        resolve(get(new URL(loc, url).href, headers, redirects - 1));
        return;
      }
      resolve(res);
    });
    req.on('error', (e) => reject(new DownloadError(`${url}: ${e.message}`)));
    req.setTimeout(60_000, () => req.destroy(new Error('no data for 60 s')));
  });
}

/**
 * Downloads `url` to `dest` (resuming DEST.part) and checks its MD5. A wrong checksum deletes the
 * download and fails with both sums; a broken connection keeps DEST.part for the next run.
 */
export async function downloadFile(url: string, dest: string, md5: string | undefined, progress: DownloadProgress = {}): Promise<void> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const res = await get(url, have > 0 ? { Range: `bytes=${have}-` } : {});
  if (res.statusCode === 416) {
    res.resume();
    have = fs.statSync(part).size;
  } // already complete
  else {
    if (res.statusCode === 200)
      have = 0; // server ignores ranges: start over
    else if (res.statusCode !== 206) {
      res.resume();
      throw new DownloadError(`${url}: HTTP ${res.statusCode}`);
    }
    const length = res.headers['content-length'] != null ? Number(res.headers['content-length']) : undefined;
    progress.onStart?.(length != null ? have + length : undefined, have);
    const out = fs.createWriteStream(part, { flags: have > 0 ? 'a' : 'w' });
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => {
        received += c.length;
        progress.onBytes?.(c.length);
      });
      res.on('aborted', () => reject(new DownloadError(`${url}: connection closed after ${have + received} bytes; run again to resume`)));
      res.on('error', (e) => reject(new DownloadError(`${url}: ${e.message}; run again to resume`)));
      res.pipe(out);
      out.on('finish', () => resolve());
      out.on('error', reject);
    }).finally(() => out.close());
    if (length != null && received < length)
      throw new DownloadError(`${url}: got ${have + received} of ${have + length} bytes; run again to resume`);
  }
  if (md5) {
    const got = await md5File(part);
    if (got !== md5) {
      fs.rmSync(part, { force: true });
      throw new DownloadError(`${url}: checksum mismatch (MD5 ${got}, expected ${md5}); the corrupt download was deleted`);
    }
  }
  fs.renameSync(part, dest);
}
