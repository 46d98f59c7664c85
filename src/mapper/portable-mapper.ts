// A loaded mapper as an application uses it, in Node and in the browser alike: map(descriptors) →
// descriptors in the target model's space. Browser-safe (TF.js and fetch only): the browser bundle
// and `loadMapper` in Node both go through here, so both apply the same standardisation, networks
// and L2 normalisation.
import * as tf from '@tensorflow/tfjs';

/** The parts of mapper.json an application needs. */
export interface MapperInfo {
  format: string;
  version: number;
  arch: string;
  source: { id: string; dim: number; normalization?: string };
  target: { id: string; dim: number; normalization?: string };
  files: { mapping: string };
  training?: { finished?: boolean };
}

export interface Mapper {
  /** the old model (id, dimension) whose descriptors this mapper takes */
  readonly source: MapperInfo['source'];
  /** the new model whose space the mapped descriptors live in */
  readonly target: MapperInfo['target'];
  readonly arch: string;
  /** Maps descriptors of the source model (one row, or several) into the target model's space. */
  map(x: Float32Array | number[] | ReadonlyArray<Float32Array | number[]>): Float32Array[];
  dispose(): void;
}

export class MapperLoadError extends Error {}

/** Checks mapper.json as read from `where`; returns the mapping model's path relative to it. */
export function checkMapperInfo(m: unknown, where: string): MapperInfo {
  const info = m as MapperInfo;
  if (info == null || typeof info !== 'object' || info.format !== 'r3an.mapper')
    throw new MapperLoadError(`${where}: not an r3an mapper (format ${JSON.stringify(info?.format)})`);
  if (info.version !== 1) throw new MapperLoadError(`${where}: mapper version ${info.version} is not supported`);
  for (const k of ['source', 'target'] as const)
    if (!(info[k] && typeof info[k].id === 'string' && Number.isInteger(info[k].dim) && info[k].dim > 0))
      throw new MapperLoadError(`${where}: "${k}" must name a model and its dimension`);
  const rel = info.files?.mapping;
  if (typeof rel !== 'string' || rel === '' || rel.startsWith('/') || /^[a-z]+:/i.test(rel) || rel.split(/[\\/]/).includes('..'))
    throw new MapperLoadError(`${where}: files.mapping must be a path inside the mapper (got ${JSON.stringify(rel)})`);
  return info;
}

/** A Mapper over a loaded mapping model. */
export function portableMapper(info: MapperInfo, mapping: tf.LayersModel): Mapper {
  const ds = info.source.dim,
    dt = info.target.dim;
  const inDim = mapping.inputs[0].shape[1],
    outDim = mapping.outputs[0].shape[1];
  if (inDim !== ds || outDim !== dt) throw new MapperLoadError(`the mapping model is ${inDim}→${outDim} but mapper.json says ${ds}→${dt}`);
  const l2 = info.target.normalization !== 'none';
  return {
    source: info.source,
    target: info.target,
    arch: info.arch,
    map(x) {
      // one descriptor (a Float32Array or a number[]) or a list of them
      const single = x instanceof Float32Array || (Array.isArray(x) && x.length > 0 && typeof x[0] === 'number');
      const rows = (single ? [x] : x) as ReadonlyArray<Float32Array | number[]>;
      const flat = new Float32Array(rows.length * ds);
      rows.forEach((r, i) => {
        if (r.length !== ds) throw new RangeError(`descriptor ${i} has ${r.length} values; ${info.source.id} descriptors have ${ds}`);
        for (let k = 0; k < ds; k++) {
          const v = Number(r[k]);
          if (!Number.isFinite(v)) throw new RangeError(`descriptor ${i} holds a non-finite value at ${k}`);
          flat[i * ds + k] = v;
        }
      });
      if (rows.length === 0) return [];
      const y = tf.tidy(() => {
        const out = mapping.predict(tf.tensor2d(flat, [rows.length, ds])) as tf.Tensor2D;
        return l2 ? tf.div(out, tf.maximum(tf.norm(out, 'euclidean', 1, true), 1e-12)) : out;
      });
      const data = y.dataSync() as Float32Array;
      y.dispose();
      if (!data.every(Number.isFinite)) throw new RangeError(`the mapper produced non-finite values (a diverged mapper?)`);
      return rows.map((_, i) => data.slice(i * dt, (i + 1) * dt));
    },
    dispose() {
      mapping.dispose();
    },
  };
}

/** Loads a mapper over HTTP(S) (or any URL fetch reads): `url` is the mapper directory's URL. */
export async function loadMapperFromUrl(url: string): Promise<Mapper> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const where = `${base}mapper.json`;
  const res = await fetch(where);
  if (!res.ok) throw new MapperLoadError(`${where}: HTTP ${res.status}`);
  let json: unknown;
  try {
    json = await res.json();
  } catch (e) {
    throw new MapperLoadError(`${where}: invalid JSON (${(e as Error).message})`);
  }
  const info = checkMapperInfo(json, where);
  const mapping = await tf.loadLayersModel(new URL(info.files.mapping, base).href);
  return portableMapper(info, mapping);
}
