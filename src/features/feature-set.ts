// A feature set on disk: features.npy (float32 N×d), manifest.json (lineage + one item per row),
// optional crops.npy (uint8 N×56×56×3 RGB face crops for the reconstruction path).
import fs from 'node:fs';
import path from 'node:path';
import { AtomicFileWriter, stageDir, writeJsonAtomic } from '../io/atomic.js';
import { encodeNpy, npyHeaderBytes, readNpyHeader, readNpyRows, type NpyHeader } from '../io/npy.js';
import { FACE_SIZE } from '../core/face-size.js';

export const FEATURE_SET_FORMAT = 'r3an.feature-set';
export const FEATURE_SET_VERSION = 1;
export const FEATURES_FILE = 'features.npy';
export const CROPS_FILE = 'crops.npy';
export const MANIFEST_FILE = 'manifest.json';

/** Which embedding space the rows live in, and how they were produced. */
export interface ModelLineage {
  /** model id, e.g. "human/mobileface" or "faceapi/recognition" */
  id: string;
  dim: number;
  /** 'l2' = every row has unit L2 norm */
  normalization: 'l2' | 'none';
  /** input size, colour order, scaling, alignment… as the extractor applied them */
  preprocessing: Record<string, unknown>;
}

export interface FeatureItem {
  /** image path relative to the dataset root (the pairing key across models) */
  path: string;
  /** identity label ('' when unknown) */
  identity: string;
  /** set when the row is the feature of the horizontally mirrored image */
  flipped?: boolean;
  /** set (k ≥ 1) when the row is the feature of the k-th augmented copy of the image (see faces/augment.ts) */
  augment?: number;
  /** set when the image held several faces (the largest, most central one was used) */
  faces?: number;
}

type RowKind = Pick<FeatureItem, 'path' | 'flipped' | 'augment'>;

/** Whether a row is the feature of the image itself, not of a mirrored or augmented copy (those train only). */
export function isOriginal(it: Pick<FeatureItem, 'flipped' | 'augment'>): boolean {
  return !it.flipped && it.augment == null;
}

/** The pairing key of a row across models: its image path and which copy of the image it shows. */
export function rowKey(it: RowKind): string {
  return `${it.path}${it.flipped ? '#flip' : ''}${it.augment != null ? `#aug${it.augment}` : ''}`;
}

/** Where a mapped feature set came from: the source space and the mapper that moved it. */
export interface MappedLineage {
  source: ModelLineage;
  mapper: { path: string; arch: string; createdAt?: string };
}

export interface FeatureSetManifest {
  format: typeof FEATURE_SET_FORMAT;
  version: number;
  model: ModelLineage;
  count: number;
  items: FeatureItem[];
  crops?: { file: typeof CROPS_FILE; size: number; layout: 'NHWC uint8 RGB' };
  /** images that produced no row, with the reason (no face, decode failure…) */
  skipped?: { path: string; reason: string }[];
  mappedFrom?: MappedLineage;
  dataset?: { root: string };
  /** throughput of the extraction that wrote the set (the last run's images and seconds, when resumed) */
  extraction?: ExtractionStats;
  createdAt: string;
}

export interface ExtractionStats {
  images: number;
  seconds: number;
  backend: string;
  threads?: number;
}

export class FeatureSetError extends Error {}

export class FeatureSet {
  /** `cropsProblem`: why listed crops cannot be read; only an error for callers that need crops */
  private constructor(
    readonly dir: string,
    readonly manifest: FeatureSetManifest,
    private readonly header: NpyHeader,
    private readonly cropsHeader?: NpyHeader,
    readonly cropsProblem?: string,
  ) {}

  get model(): ModelLineage {
    return this.manifest.model;
  }
  get dim(): number {
    return this.manifest.model.dim;
  }
  get count(): number {
    return this.manifest.count;
  }
  get items(): FeatureItem[] {
    return this.manifest.items;
  }
  get hasCrops(): boolean {
    return this.cropsHeader != null;
  }

  /** Opens and validates a feature set; every problem is reported with the offending file. */
  static open(dir: string): FeatureSet {
    const manifestPath = path.join(dir, MANIFEST_FILE);
    if (!fs.existsSync(manifestPath)) throw new FeatureSetError(`${dir}: not a feature set (no ${MANIFEST_FILE})`);
    let m: FeatureSetManifest;
    try {
      m = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    } catch (e) {
      throw new FeatureSetError(`${manifestPath}: invalid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
    }
    if (m.format !== FEATURE_SET_FORMAT)
      throw new FeatureSetError(`${manifestPath}: format is ${JSON.stringify(m.format)}, expected "${FEATURE_SET_FORMAT}"`);
    if (m.version !== FEATURE_SET_VERSION)
      throw new FeatureSetError(`${manifestPath}: version ${m.version} is not supported (this r3an reads version ${FEATURE_SET_VERSION})`);
    if (!m.model || typeof m.model.id !== 'string' || !(m.model.dim > 0))
      throw new FeatureSetError(`${manifestPath}: model lineage (id, dim) is missing`);
    if (!Array.isArray(m.items) || m.items.length !== m.count)
      throw new FeatureSetError(`${manifestPath}: count is ${m.count} but ${m.items?.length ?? 0} items are listed`);
    const badItem = m.items.findIndex(
      (it) => it == null || typeof it.path !== 'string' || (it.identity != null && typeof it.identity !== 'string'),
    );
    if (badItem >= 0) throw new FeatureSetError(`${manifestPath}: item ${badItem} needs a "path" (and a string "identity", if any)`);
    if (
      m.crops != null &&
      (typeof m.crops !== 'object' || typeof m.crops.file !== 'string' || path.isAbsolute(m.crops.file) || m.crops.file.includes('..'))
    ) {
      throw new FeatureSetError(`${manifestPath}: "crops" must name a file inside the feature set`);
    }
    const featuresPath = path.join(dir, FEATURES_FILE);
    if (!fs.existsSync(featuresPath)) throw new FeatureSetError(`${featuresPath}: missing`);
    let header: NpyHeader;
    try {
      header = readNpyHeader(featuresPath);
    } catch (e) {
      throw new FeatureSetError((e as Error).message);
    }
    if (header.dtype !== 'float32' || header.shape.length !== 2)
      throw new FeatureSetError(`${featuresPath}: expected a 2-D float32 array, got ${header.dtype} [${header.shape}]`);
    if (header.shape[0] !== m.count)
      throw new FeatureSetError(`${featuresPath}: ${header.shape[0]} rows but the manifest lists ${m.count} items`);
    if (header.shape[1] !== m.model.dim)
      throw new FeatureSetError(
        `${featuresPath}: rows are ${header.shape[1]}-d but the manifest says model ${m.model.id} is ${m.model.dim}-d`,
      );
    let cropsHeader: NpyHeader | undefined;
    if (m.crops) {
      const cropsPath = path.join(dir, m.crops.file);
      // map and eval never read crops: a missing or broken crops file only fails what needs crops
      if (!fs.existsSync(cropsPath))
        return new FeatureSet(dir, m, header, undefined, `${cropsPath}: missing (the manifest lists face crops)`);
      try {
        cropsHeader = readNpyHeader(cropsPath);
      } catch (e) {
        return new FeatureSet(dir, m, header, undefined, (e as Error).message);
      }
      const want = [m.count, FACE_SIZE, FACE_SIZE, 3];
      if (cropsHeader.dtype !== 'uint8' || cropsHeader.shape.join() !== want.join()) {
        return new FeatureSet(
          dir,
          m,
          header,
          undefined,
          `${cropsPath}: expected uint8 [${want}], got ${cropsHeader.dtype} [${cropsHeader.shape}]`,
        );
      }
    }
    return new FeatureSet(dir, m, header, cropsHeader);
  }

  /**
   * Rows [start, end) as one Float32Array; refuses NaN/Inf so bad features never reach training or
   * search, and, in a set whose manifest says l2, rows that are not unit length (zero or rescaled rows
   * would otherwise be mapped and compared as if they were features).
   */
  rows(start = 0, end = this.count): Float32Array {
    const data = readNpyRows(path.join(this.dir, FEATURES_FILE), this.header, start, end) as Float32Array;
    const d = this.dim,
      l2 = this.model.normalization === 'l2';
    for (let r = 0; r < end - start; r++) {
      let sq = 0;
      for (let k = r * d; k < (r + 1) * d; k++) {
        const v = data[k];
        if (!Number.isFinite(v))
          throw new FeatureSetError(
            `${path.join(this.dir, FEATURES_FILE)}: row ${start + r} (${this.items[start + r]?.path}) holds a non-finite value`,
          );
        sq += v * v;
      }
      if (l2 && Math.abs(Math.sqrt(sq) - 1) > 1e-3) {
        throw new FeatureSetError(
          `${path.join(this.dir, FEATURES_FILE)}: row ${start + r} (${this.items[start + r]?.path}) has norm ${Math.sqrt(sq).toPrecision(4)}, but the manifest says the features are L2-normalised`,
        );
      }
    }
    return data;
  }

  crops(start = 0, end = this.count): Uint8Array {
    if (this.cropsProblem) throw new FeatureSetError(this.cropsProblem);
    if (!this.cropsHeader || !this.manifest.crops) throw new FeatureSetError(`${this.dir}: has no face crops (extract with --crops)`);
    return readNpyRows(path.join(this.dir, this.manifest.crops.file), this.cropsHeader, start, end) as Uint8Array;
  }

  /** A space label that two sets must share to be compared. */
  get space(): string {
    return spaceOf(this.model);
  }
}

export function spaceOf(model: ModelLineage): string {
  return `${model.id}@${model.dim}`;
}

/** Refuses to compare features from two different embedding spaces. */
export function assertSameSpace(a: ModelLineage, b: ModelLineage, what: string): void {
  if (a.id !== b.id || a.dim !== b.dim) {
    throw new FeatureSetError(`${what}: features live in different spaces (${spaceOf(a)} vs ${spaceOf(b)}); map one into the other first`);
  }
}

export interface NewFeatureSet {
  model: ModelLineage;
  items: FeatureItem[];
  features: Float32Array;
  crops?: Uint8Array;
  skipped?: { path: string; reason: string }[];
  mappedFrom?: MappedLineage;
  dataset?: { root: string };
  extraction?: ExtractionStats;
}

export function buildManifest(fs_: Omit<NewFeatureSet, 'features' | 'crops'> & { hasCrops: boolean }): FeatureSetManifest {
  return {
    format: FEATURE_SET_FORMAT,
    version: FEATURE_SET_VERSION,
    model: fs_.model,
    count: fs_.items.length,
    items: fs_.items,
    ...(fs_.hasCrops ? { crops: { file: CROPS_FILE, size: FACE_SIZE, layout: 'NHWC uint8 RGB' as const } } : {}),
    ...(fs_.skipped?.length ? { skipped: fs_.skipped } : {}),
    ...(fs_.mappedFrom ? { mappedFrom: fs_.mappedFrom } : {}),
    ...(fs_.dataset ? { dataset: fs_.dataset } : {}),
    ...(fs_.extraction ? { extraction: fs_.extraction } : {}),
    createdAt: new Date().toISOString(),
  };
}

/** Writes a whole feature set atomically (the directory appears complete or not at all). */
export function writeFeatureSet(dir: string, set: NewFeatureSet): void {
  const n = set.items.length,
    d = set.model.dim;
  if (set.features.length !== n * d) throw new FeatureSetError(`${dir}: ${set.features.length} values do not make ${n} rows of ${d}`);
  if (set.crops && set.crops.length !== n * FACE_SIZE * FACE_SIZE * 3) throw new FeatureSetError(`${dir}: crops do not match ${n} items`);
  const stage = stageDir(dir);
  try {
    fs.writeFileSync(path.join(stage.dir, FEATURES_FILE), encodeNpy('float32', [n, d], set.features));
    if (set.crops) fs.writeFileSync(path.join(stage.dir, CROPS_FILE), encodeNpy('uint8', [n, FACE_SIZE, FACE_SIZE, 3], set.crops));
    writeJsonAtomic(path.join(stage.dir, MANIFEST_FILE), buildManifest({ ...set, hasCrops: set.crops != null }));
  } catch (e) {
    stage.abort();
    throw e;
  }
  stage.commit();
}

/** Streams rows into a new feature set whose row count is known up front (used by `map`). */
export class FeatureSetStreamWriter {
  private readonly stage: ReturnType<typeof stageDir>;
  private readonly out: AtomicFileWriter;
  private rowsWritten = 0;
  constructor(
    readonly dir: string,
    private readonly meta: Omit<NewFeatureSet, 'features' | 'crops'>,
  ) {
    this.stage = stageDir(dir);
    this.out = new AtomicFileWriter(path.join(this.stage.dir, FEATURES_FILE));
    this.out.write(npyHeaderBytes('float32', [meta.items.length, meta.model.dim]));
  }
  append(rows: Float32Array): void {
    if (rows.length % this.meta.model.dim)
      throw new FeatureSetError(`${this.dir}: a chunk of ${rows.length} values is not whole ${this.meta.model.dim}-d rows`);
    this.out.write(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
    this.rowsWritten += rows.length / this.meta.model.dim;
  }
  commit(): void {
    if (this.rowsWritten !== this.meta.items.length) {
      this.abort();
      throw new FeatureSetError(`${this.dir}: wrote ${this.rowsWritten} rows, expected ${this.meta.items.length}`);
    }
    this.out.commit();
    writeJsonAtomic(path.join(this.stage.dir, MANIFEST_FILE), buildManifest({ ...this.meta, hasCrops: false }));
    this.stage.commit();
  }
  abort(): void {
    this.out.abort();
    this.stage.abort();
  }
}
