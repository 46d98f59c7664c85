// Users' own face models: a small JSON spec beside a TF.js model says how to feed it, e.g.
//   { "id": "acme/face-v2", "model": "model.json", "dim": 512, "inputSize": 112,
//     "pixels": "-1..1", "colour": "RGB", "alignment": "arcface" }
// and the spec's path is used wherever a zoo id is (`r3an extract --model ./acme-face-v2.json`).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { alignedModelEntry, ALIGNMENTS, PIXEL_SCALINGS, type AlignedModelSpec } from './aligned-model.js';
import type { ZooEntry } from './embedder.js';

export const CUSTOM_MODEL_HELP = `Your own model: write a spec file next to a TF.js model (graph or layers model.json):
  { "id": "acme/face-v2", "model": "model.json", "dim": 512, "inputSize": 112,
    "pixels": "-1..1", "colour": "RGB", "alignment": "arcface" }
  pixels: ${PIXEL_SCALINGS.join(' | ')}   colour: RGB | BGR   alignment: ${ALIGNMENTS.join(' | ')}
  (arcface: Human's face mesh, five points onto the ArcFace template; none: images are aligned crops)
and pass the spec's path as the model id: r3an extract --model ./acme-face-v2.json …`;

export function isCustomModelSpec(id: string): boolean {
  return id.endsWith('.json') && fs.existsSync(id);
}

/** sha256 of model.json and its weight files, so a feature set records exactly which weights made it. */
function modelDigest(modelFile: string): string {
  const h = crypto.createHash('sha256');
  const json = fs.readFileSync(modelFile);
  h.update(json);
  for (const g of (JSON.parse(json.toString('utf8')) as { weightsManifest?: { paths: string[] }[] }).weightsManifest ?? []) {
    for (const p of g.paths) {
      const f = path.join(path.dirname(modelFile), p);
      if (!fs.existsSync(f)) throw new Error(`${modelFile}: weight file ${p} not found`);
      h.update(fs.readFileSync(f));
    }
  }
  return h.digest('hex').slice(0, 16);
}

export function customModelEntry(specFile: string): ZooEntry {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(specFile, 'utf8'));
  } catch (e) {
    throw new Error(`${specFile}: cannot read model spec (${(e as Error).message})`);
  }
  const bad = (field: string, want: string) => new Error(`${specFile}: "${field}" must be ${want} (got ${JSON.stringify(raw[field])})`);
  const str = (f: string) => {
    if (typeof raw[f] !== 'string' || !raw[f]) throw bad(f, 'a non-empty string');
    return raw[f] as string;
  };
  const int = (f: string) => {
    const v = raw[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw bad(f, 'a positive integer');
    return v;
  };
  const oneOf = <T extends string>(f: string, options: readonly T[], fallback: T): T => {
    const v = raw[f] ?? fallback;
    if (!options.includes(v as T)) throw bad(f, `one of ${options.join(', ')}`);
    return v as T;
  };
  const modelFile = path.resolve(path.dirname(specFile), str('model'));
  const spec: AlignedModelSpec = {
    id: str('id'),
    modelFile,
    dim: int('dim'),
    inputSize: int('inputSize'),
    pixels: oneOf('pixels', PIXEL_SCALINGS, '0..255'),
    colour: oneOf('colour', ['RGB', 'BGR'] as const, 'RGB'),
    alignment: oneOf('alignment', ALIGNMENTS, 'arcface'),
  };
  if (!fs.existsSync(modelFile)) throw new Error(`${specFile}: model file ${modelFile} not found`);
  return alignedModelEntry(spec, {
    package: `your model (${path.relative(process.cwd(), modelFile) || modelFile})`,
    description: typeof raw.description === 'string' ? raw.description : 'user-registered TF.js model',
    typicalImagesPerSecond: { tfjs: 3 },
    lineageExtra: () => ({ spec: path.resolve(specFile), modelSha256: modelDigest(modelFile) }),
  });
}
