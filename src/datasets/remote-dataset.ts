// Datasets fetched the way sklearn and torchvision do it: a known list of files with checksums, cached in
// a local directory, downloads resumed, archives verified before they are unpacked. A complete local
// copy is used as it is.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractTgz } from './archive.js';
import { downloadFile, md5File, type DownloadProgress } from './download.js';

export interface RemoteFile {
  name: string;
  md5: string;
}

export interface RemoteDataset {
  name: string;
  baseUrl: string;
  /** the image archive and the folder (one sub-folder per identity) it unpacks to */
  archive: RemoteFile & { folder: string };
  /** protocol files kept beside the images */
  files: RemoteFile[];
}

/** LFW, deep-funneled images and the protocol files, as the official site serves them (torchvision's checksums). */
export const LFW: RemoteDataset = {
  name: 'lfw',
  baseUrl: 'http://vis-www.cs.umass.edu/lfw/',
  archive: { name: 'lfw-deepfunneled.tgz', md5: '68331da3eb755a505a502b5aacb3c201', folder: 'lfw-deepfunneled' },
  files: [
    { name: 'pairs.txt', md5: '9f1ba174e4e1c508ff7cdf10ac338a7d' },
    { name: 'people.txt', md5: '450f0863dd89e85e73936a6d71a3474b' },
    { name: 'pairsDevTrain.txt', md5: '4f27cbf15b2da4a85c1907eb4181ad21' },
    { name: 'pairsDevTest.txt', md5: '5132f7440eb68cf58910c8a45a2ac10b' },
  ],
};

export const REMOTE_DATASETS: Record<string, RemoteDataset> = { lfw: LFW };

/** Where fetched datasets live unless --dir says otherwise ($R3AN_DATA, else ~/.cache/r3an). */
export function defaultDataDir(name: string): string {
  return path.join(process.env.R3AN_DATA ?? path.join(os.homedir(), '.cache', 'r3an'), name);
}

export interface FetchedDataset {
  root: string;
  images: string;
  source: 'local copy' | 'cache' | 'download';
}

export function missingParts(dir: string, spec: RemoteDataset): string[] {
  return [spec.archive.folder, ...spec.files.map((f) => f.name)].filter((n) => !fs.existsSync(path.join(dir, n)));
}

export interface FetchOptions {
  dir?: string;
  /** a complete local copy to use instead of downloading */
  from?: string;
  baseUrl?: string;
  log?: (msg: string) => void;
  progress?: (file: string) => DownloadProgress;
}

export async function fetchDataset(spec: RemoteDataset, opts: FetchOptions = {}): Promise<FetchedDataset> {
  const log = opts.log ?? (() => {});
  const found = (root: string, source: FetchedDataset['source']) => ({ root, images: path.join(root, spec.archive.folder), source });
  if (opts.from) {
    const missing = missingParts(opts.from, spec);
    if (missing.length) throw new Error(`${opts.from}: not a complete copy of ${spec.name} (missing ${missing.join(', ')})`);
    for (const f of spec.files) {
      const got = await md5File(path.join(opts.from, f.name));
      if (got !== f.md5)
        throw new Error(`${path.join(opts.from, f.name)}: checksum mismatch (MD5 ${got}, expected ${f.md5}): not the official file`);
    }
    log(`${spec.name}: using the local copy in ${opts.from}`);
    return found(opts.from, 'local copy');
  }
  const dir = opts.dir ?? defaultDataDir(spec.name);
  if (missingParts(dir, spec).length === 0) {
    log(`${spec.name}: already in ${dir}`);
    return found(dir, 'cache');
  }
  const base = opts.baseUrl ?? spec.baseUrl;
  const url = (name: string) => new URL(name, base.endsWith('/') ? base : `${base}/`).href;
  for (const f of spec.files) {
    const dest = path.join(dir, f.name);
    if (fs.existsSync(dest)) continue;
    log(`${spec.name}: downloading ${url(f.name)}`);
    await downloadFile(url(f.name), dest, f.md5, opts.progress?.(f.name));
  }
  const images = path.join(dir, spec.archive.folder);
  if (!fs.existsSync(images)) {
    const archive = path.join(dir, spec.archive.name);
    if (!fs.existsSync(archive)) {
      log(`${spec.name}: downloading ${url(spec.archive.name)}`);
      await downloadFile(url(spec.archive.name), archive, spec.archive.md5, opts.progress?.(spec.archive.name));
    }
    log(`${spec.name}: unpacking ${archive}`);
    await extractTgz(archive, spec.archive.folder, images);
    fs.rmSync(archive);
  }
  return found(dir, 'download');
}
