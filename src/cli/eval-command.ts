// `r3an eval identification|verification`: the field's protocols on a user's own feature sets, optionally
// through a mapper (cross-model: mapped probes against target-space gallery and distractors).
import { checkOutputFile } from '../io/output-policy.js';
import { assertSameSpace, FeatureSet, type ModelLineage } from '../features/feature-set.js';
import { readLfwPairs } from '../eval/lfw-pairs.js';
import { isProtocol, PROTOCOLS, type Protocol, type ProtocolInput } from '../eval/protocols.js';
import { checkMapperInput } from '../mapper/map-gallery.js';
import { mapRows } from '../mapper/map-rows.js';
import { loadMapper } from '../mapper/mapper.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { gatherRows, pairRowsByPath } from '../features/rows.js';
import { BACKEND_HELP, BACKEND_OPTIONS, parse, required, UsageError } from './args.js';
import { backendFromArgs } from './backend-options.js';

export const EVAL_HELP = `r3an eval — identification and verification on your own feature sets

Usage:
  r3an eval identification --probe FS --gallery FS [--distractors FS] [--mapper M] [--json FILE]
  r3an eval verification   --probe FS --gallery FS [--pairs pairs.txt] [--mapper M] [--json FILE]

  --probe FS         probe features (with --mapper: in the mapper's source space, mapped before use)
  --gallery FS       gallery features of the same images in the target space (paired by image path)
  --mapper M         map the probes into the gallery's space first (cross-model evaluation)
  --distractors FS   identification: target-space distractors (MegaFace style). Without it, the
                     gallery features of every other identity serve as distractors.
  --pairs FILE       verification: LFW pairs.txt (10 folds). Without it, all same-identity pairs and
                     as many random different-identity pairs (seed 1), split into 10 folds.
  --json FILE        also write the results as JSON
${BACKEND_HELP}

Identification (MegaFace Challenge 1 protocol): for every identity with ≥ 2 images and every ordered pair
(i, j), image i's gallery feature is hidden among the distractors and image j is the probe; reports the
CMC up to rank 10. Verification: ROC, TAR at FAR 1e-1…1e-4 (as far as the pair count allows) and
10-fold accuracy (threshold chosen on 9 folds, applied to the 10th; mean ± std).`;

interface Loaded {
  probe: Float32Array;
  gallery: Float32Array;
  dim: number;
  items: { path: string; identity: string }[];
  space: ModelLineage;
}

async function loadPaired(values: Record<string, unknown>): Promise<Loaded> {
  const probeSet = FeatureSet.open(required(values, 'probe')),
    gallerySet = FeatureSet.open(required(values, 'gallery'));
  let probe = probeSet.rows(),
    space = probeSet.model;
  if (values.mapper) {
    const mapper = await loadMapper(values.mapper as string);
    checkMapperInput(mapper, probeSet);
    probe = mapRows(mapper.mapping, probe, mapper.manifest.source.dim, mapper.manifest.target.dim, true, `mapper ${mapper.dir}`);
    space = mapper.manifest.target;
  }
  assertSameSpace(space, gallerySet.model, `probes ${probeSet.dir} vs gallery ${gallerySet.dir}`);
  // pair probe and gallery rows by image path (unflipped rows only)
  const dim = gallerySet.dim,
    gAll = gallerySet.rows();
  const { a: pRows, b: galleryRows } = pairRowsByPath(probeSet.items, gallerySet.items);
  if (pRows.length === 0) throw new Error(`${probeSet.dir} and ${gallerySet.dir} share no image paths`);
  return {
    probe: gatherRows(probe, dim, pRows),
    gallery: gatherRows(gAll, dim, galleryRows),
    dim,
    items: pRows.map((r) => probeSet.items[r]),
    space,
  };
}

const EVAL_FORMAT = 'r3an.eval';

/** Refuses a --json path that holds anything but a previous evaluation result (or an input). */
function checkJsonOut(values: Record<string, unknown>): void {
  if (!values.json) return;
  const inputs = ['probe', 'gallery', 'distractors', 'pairs', 'mapper'].flatMap((k) =>
    typeof values[k] === 'string' ? [values[k] as string] : [],
  );
  checkOutputFile(
    values.json as string,
    'an r3an eval result',
    (t) => {
      try {
        return JSON.parse(t).format === EVAL_FORMAT;
      } catch {
        return false;
      }
    },
    inputs,
    Boolean(values.force),
  );
}

function writeJson(values: Record<string, unknown>, result: object): void {
  if (values.json) writeJsonAtomic(values.json as string, { format: EVAL_FORMAT, ...result });
}

export async function evalCommand(argv: string[]): Promise<void> {
  const [protocol, ...rest] = argv;
  const { values } = parse(rest, {
    probe: { type: 'string' },
    gallery: { type: 'string' },
    distractors: { type: 'string' },
    pairs: { type: 'string' },
    mapper: { type: 'string' },
    json: { type: 'string' },
    force: { type: 'boolean' },
    ...BACKEND_OPTIONS,
  });
  if (values.help || !protocol || protocol.startsWith('-')) {
    console.log(EVAL_HELP);
    return;
  }
  checkJsonOut(values);
  await backendFromArgs(values);
  const d = await loadPaired(values);
  if (!isProtocol(protocol)) throw new UsageError(`unknown protocol "${protocol}" (${Object.keys(PROTOCOLS).join(' or ')})`);
  const input: ProtocolInput = { probes: d.probe, gallery: d.gallery, identities: d.items.map((i) => i.identity), dim: d.dim };
  if (values.distractors) {
    const ds = FeatureSet.open(values.distractors as string);
    assertSameSpace(ds.model, d.space, `distractors ${ds.dir} vs probes`);
    input.distractors = ds.rows();
  }
  if (values.pairs) {
    const r = readLfwPairs(values.pairs as string, d.items);
    input.pairs = r.pairs;
    if (r.missing) console.error(`${r.missing} pairs left out: an image has no feature (no face found)`);
  }
  const p: Protocol<object> = PROTOCOLS[protocol];
  const result = await p.run(input);
  for (const line of p.describe(result)) console.log(line);
  writeJson(values, { protocol, ...result, space: d.space });
}
