// Synthetic paired data with a known ground truth: identities live in a small latent space; the
// "source model" and "target model" are two different random non-linear views of it, and each face
// crop is a smooth image rendered from the same latent.
import { writeFeatureSet, type FeatureItem } from '../../src/features/feature-set.js';
import { l2NormalizeRows } from '../../src/eval/similarity.js';
import { mulberry32 } from '../../src/core/rng.js';

export interface SyntheticOptions {
  identities: number;
  perIdentity: number;
  ds: number;
  dt: number;
  latent?: number;
  noise?: number;
  seed?: number;
}

function gaussian(rand: () => number): number {
  const u = Math.max(1e-12, rand()),
    v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function makeSynthetic(o: SyntheticOptions) {
  const rand = mulberry32(o.seed ?? 7);
  const L = o.latent ?? 8,
    noise = o.noise ?? 0.3;
  const A = Array.from({ length: L * o.ds }, () => gaussian(rand));
  const B = Array.from({ length: L * o.dt }, () => gaussian(rand));
  const S = 56 * 56 * 3;
  // smooth basis images: low-frequency cosines per latent dimension and channel
  const basis = Array.from({ length: L }, () => {
    const fx = 1 + Math.floor(rand() * 3),
      fy = 1 + Math.floor(rand() * 3),
      ph = rand() * 6.28,
      ch = [rand(), rand(), rand()];
    const img = new Float32Array(S);
    for (let y = 0; y < 56; y++)
      for (let x = 0; x < 56; x++)
        for (let c = 0; c < 3; c++) img[(y * 56 + x) * 3 + c] = Math.cos(((fx * x + fy * y) * Math.PI) / 56 + ph) * (0.5 + ch[c]);
    return img;
  });
  const n = o.identities * o.perIdentity;
  const x = new Float32Array(n * o.ds),
    y = new Float32Array(n * o.dt),
    crops = new Uint8Array(n * S);
  const items: FeatureItem[] = [];
  for (let id = 0; id < o.identities; id++) {
    const center = Array.from({ length: L }, () => gaussian(rand));
    for (let k = 0; k < o.perIdentity; k++) {
      const r = id * o.perIdentity + k;
      const z = center.map((c) => c + noise * gaussian(rand));
      for (let j = 0; j < o.ds; j++) {
        let s = 0;
        for (let l = 0; l < L; l++) s += A[l * o.ds + j] * z[l];
        x[r * o.ds + j] = s;
      }
      for (let j = 0; j < o.dt; j++) {
        let s = 0;
        for (let l = 0; l < L; l++) s += B[l * o.dt + j] * z[l];
        y[r * o.dt + j] = Math.tanh(s / 2);
      }
      for (let p = 0; p < S; p++) {
        let s = 0;
        for (let l = 0; l < L; l++) s += basis[l][p] * z[l];
        crops[r * S + p] = Math.round(255 / (1 + Math.exp(-s / 3)));
      }
      items.push({ path: `person${id}/img${k}.png`, identity: `person${id}` });
    }
  }
  return { n, items, x: l2NormalizeRows(x, o.ds), y: l2NormalizeRows(y, o.dt), crops };
}

/** Writes the synthetic pair as two feature sets (source with crops) and returns their paths. */
export function writeSyntheticPair(dir: string, o: SyntheticOptions): { source: string; target: string } {
  const s = makeSynthetic(o);
  const pre = { note: 'synthetic' };
  writeFeatureSet(`${dir}/source`, {
    model: { id: 'synthetic/source', dim: o.ds, normalization: 'l2', preprocessing: pre },
    items: s.items,
    features: s.x,
    crops: s.crops,
  });
  writeFeatureSet(`${dir}/target`, {
    model: { id: 'synthetic/target', dim: o.dt, normalization: 'l2', preprocessing: pre },
    items: s.items,
    features: s.y,
  });
  return { source: `${dir}/source`, target: `${dir}/target` };
}
