// `r3an extract`: features (and optionally 56×56 face crops) of every image of a dataset with one zoo
// model. Resumable: rows are appended to OUT.partial/ as they are computed; a rerun skips what is done.
// The finished feature set replaces OUT atomically. Undecodable or face-less images are listed with
// the reason and never stop the run.
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import path from 'node:path';
import { writeFeatureSet, type FeatureItem } from '../features/feature-set.js';
import { FACE_SIZE } from '../core/face-size.js';
import { listDataset, type DatasetOptions } from './dataset.js';
import { decodeRgb, ImageDecodeError, mirror } from './image.js';
import { augmentImage, augmentParams } from './augment.js';
import { zooEntry, type Embedder } from './zoo.js';
import type { Runtime } from '../backend/onnxruntime.js';

export interface ExtractRequest extends DatasetOptions {
  data: string;
  model: string;
  out: string;
  crops?: boolean;
  /** also extract the mirrored image (rows marked flipped: true) */
  flip?: boolean;
  /** also extract K augmented copies of each image (rows marked augment: k), for training only */
  augment?: number;
  /** where the model's own networks may run (see EmbedderOptions) */
  runtime?: Runtime;
  threads?: number;
  onStart?: (total: number, done: number) => void;
  onImage?: (item: FeatureItem, outcome: 'ok' | 'skipped') => void;
  onLog?: (msg: string) => void;
}

export interface ExtractResult {
  rows: number;
  skipped: { path: string; reason: string }[];
  multiFace: number;
  seconds: number;
}

interface PartialState {
  model: string;
  data: string;
  crops: boolean;
  flip: boolean;
  augment?: number;
  list: string[];
}

const CROP_BYTES = FACE_SIZE * FACE_SIZE * 3;

function appendLine(file: string, value: unknown): void {
  fs.appendFileSync(file, JSON.stringify(value) + '\n');
}

function readLines<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  // a torn last line (killed mid-write) is dropped: that image is simply redone
  return lines
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as T];
      } catch {
        return [];
      }
    });
}

export async function extractFeatures(req: ExtractRequest): Promise<ExtractResult> {
  const entry = zooEntry(req.model);
  if (entry.caveat) req.onLog?.(`warning: ${entry.id}: ${entry.caveat}`);
  const items = listDataset(req.data, req);
  if (items.length === 0) throw new Error(`${req.data}: no images found`);
  const partial = `${req.out}.partial`;
  if (req.augment != null && !(Number.isInteger(req.augment) && req.augment >= 0))
    throw new Error(`augment must be a whole number ≥ 0, got ${req.augment}`);
  const state: PartialState = {
    model: entry.id,
    data: path.resolve(req.data),
    crops: Boolean(req.crops),
    flip: Boolean(req.flip),
    ...(req.augment ? { augment: req.augment } : {}),
    list: items.map((i) => i.path),
  };
  const statePath = path.join(partial, 'state.json');
  if (fs.existsSync(statePath)) {
    let prev: PartialState;
    try {
      prev = JSON.parse(fs.readFileSync(statePath, 'utf8')) as PartialState;
      if (!Array.isArray(prev.list)) throw new Error('no image list');
    } catch (e) {
      throw new Error(`${statePath}: unreadable (${(e as Error).message}); delete ${partial} to start the extraction over`);
    }
    if (JSON.stringify(prev) !== JSON.stringify(state)) {
      throw new Error(
        `${partial}: an unfinished extraction with other settings (model ${prev.model}, ${prev.list.length} images) is in the way; delete it or use the same options`,
      );
    }
  } else {
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial, { recursive: true });
    fs.writeFileSync(statePath, JSON.stringify(state));
  }
  const featFile = path.join(partial, 'rows.f32'),
    cropFile = path.join(partial, 'crops.u8');
  const doneFile = path.join(partial, 'done.jsonl');
  type Done = { path: string; rows: { flipped: boolean; augment?: number }[]; skipped?: string; faces?: number };
  let done = readLines<Done>(doneFile);
  // Keep binary files consistent with the log: truncate to the rows the log accounts for.
  const rowCount = done.reduce((s, d) => s + d.rows.length, 0);
  const embedder: Embedder = await entry.create({ runtime: req.runtime, threads: req.threads });
  const dim = embedder.lineage.dim;
  if (fs.existsSync(featFile) && fs.statSync(featFile).size < rowCount * dim * 4) done = [];
  if (done.length === 0) {
    for (const f of [featFile, cropFile, doneFile]) fs.rmSync(f, { force: true });
  } else {
    fs.truncateSync(featFile, rowCount * dim * 4);
    if (state.crops) fs.truncateSync(cropFile, rowCount * CROP_BYTES);
    fs.writeFileSync(doneFile, done.map((d) => JSON.stringify(d)).join('\n') + '\n');
  }
  const doneSet = new Set(done.map((d) => d.path));
  if (done.length) req.onLog?.(`resuming: ${done.length} of ${items.length} images already done`);
  req.onStart?.(items.length, done.length);
  const t0 = Date.now();
  let processed = 0;
  for (const item of items) {
    if (doneSet.has(item.path)) continue;
    processed++;
    const file = path.join(req.data, item.path);
    let record: Done;
    try {
      const img = await decodeRgb(file);
      type View = { img: typeof img; flipped: boolean; augment?: number };
      const views: View[] = [{ img, flipped: false }, ...(state.flip ? [{ img: mirror(img), flipped: true }] : [])];
      for (let k = 1; k <= (state.augment ?? 0); k++)
        views.push({ img: await augmentImage(img, augmentParams(item.path, k)), flipped: false, augment: k });
      const outs = [];
      for (const v of views) {
        // a copy whose face is not found is left out; the image itself must have one
        const r = await embedder.embed(v.img);
        if (!r) {
          if (v === views[0]) break;
          continue;
        }
        outs.push({ ...r, flipped: v.flipped, ...(v.augment ? { augment: v.augment } : {}) });
      }
      if (outs.length === 0 || outs[0].flipped || outs[0].augment) record = { path: item.path, rows: [], skipped: 'no face found' };
      else {
        for (const o of outs) {
          fs.appendFileSync(featFile, new Uint8Array(o.embedding.buffer, o.embedding.byteOffset, o.embedding.byteLength));
          if (state.crops) fs.appendFileSync(cropFile, o.crop);
        }
        record = {
          path: item.path,
          rows: outs.map((o) => ({ flipped: o.flipped, ...(o.augment ? { augment: o.augment } : {}) })),
          ...(outs[0].faces > 1 ? { faces: outs[0].faces } : {}),
        };
      }
    } catch (e) {
      if (!(e instanceof ImageDecodeError)) throw e;
      record = { path: item.path, rows: [], skipped: e.message.replace(`${file}: `, '') };
    }
    appendLine(doneFile, record);
    done.push(record);
    req.onImage?.(item, record.skipped ? 'skipped' : 'ok');
  }
  // Assemble the final feature set in dataset order.
  const byPath = new Map(done.map((d) => [d.path, d]));
  const featBytes = fs.existsSync(featFile) ? fs.readFileSync(featFile) : Buffer.alloc(0);
  const cropBytes = state.crops && fs.existsSync(cropFile) ? fs.readFileSync(cropFile) : undefined;
  // rows were appended in processing order, which is dataset order (resumes keep it)
  const outItems: FeatureItem[] = [];
  const skipped: { path: string; reason: string }[] = [];
  let multiFace = 0;
  for (const item of items) {
    const d = byPath.get(item.path)!;
    if (d.skipped) {
      skipped.push({ path: item.path, reason: d.skipped });
      continue;
    }
    if (d.faces) multiFace++;
    for (const r of d.rows)
      outItems.push({
        ...item,
        ...(r.flipped ? { flipped: true } : {}),
        ...(r.augment ? { augment: r.augment } : {}),
        ...(d.faces ? { faces: d.faces } : {}),
      });
  }
  const n = outItems.length;
  if (n === 0) {
    const reasons = [...new Set(skipped.map((s) => s.reason))].slice(0, 3).join('; ');
    throw new Error(
      `${req.data}: no face features from any of its ${items.length} images (${reasons || 'no images'}); nothing written to ${req.out}`,
    );
  }
  const features = new Float32Array(new Uint8Array(featBytes).buffer, 0, n * dim);
  writeFeatureSet(req.out, {
    model: embedder.lineage,
    items: outItems,
    features,
    ...(cropBytes ? { crops: new Uint8Array(cropBytes.buffer, cropBytes.byteOffset, n * CROP_BYTES) } : {}),
    skipped,
    dataset: { root: path.resolve(req.data) },
    extraction: { images: processed, seconds: (Date.now() - t0) / 1000, backend: tf.getBackend() },
  });
  fs.rmSync(partial, { recursive: true, force: true });
  return { rows: n, skipped, multiFace, seconds: (Date.now() - t0) / 1000 };
}
