// The paper's Table 2 on LFW: each face model's own quality. Standard LFW verification on the official
// pairs.txt (10 folds: threshold chosen on 9, accuracy on the 10th) and closed-set identification
// rank-1 over the extracted images, beside the model authors' published LFW figure.
import { isOriginal } from '../features/feature-set.js';
import fs from 'node:fs';
import path from 'node:path';
import { closedSetIdentification } from '../eval/identification.js';
import { lfwPairImagePaths, readLfwPairs } from '../eval/lfw-pairs.js';
import { kFoldAccuracy, scorePairs, tarAtFar, type TarAtFar } from '../eval/verification.js';
import { zooEntry } from '../faces/zoo.js';
import { gatherRows } from '../features/rows.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { ensureFeatures, type StageHooks } from './stages.js';
import { Workspace } from './workspace.js';

export interface Table2Spec {
  /** images, one folder per identity (LFW: lfw-deepfunneled) */
  data: string;
  /** the LFW-style pairs file */
  pairs: string;
  models: string[];
  out: string;
  /** extract only the images the pairs file names (7,701 of LFW's 13,233) */
  pairsOnly: boolean;
  command?: string;
}

export interface Table2Row {
  model: string;
  dim: number;
  images: number;
  skipped: number;
  verification: { pairs: number; missing: number; mean: number; std: number; tarAtFar: TarAtFar[] };
  identification: { rank1: number; rank10: number; pairs: number };
  published?: { lfw: number; source: string };
  caveat?: string;
  /** images/s of the extraction that made the features, where recorded */
  imagesPerSecond?: number;
}

export interface Table2Results {
  kind: 'table2';
  createdAt: string;
  command?: string;
  data: string;
  pairsFile: string;
  pairsOnly: boolean;
  rows: Table2Row[];
}

/** The pairs file: the given one, or pairs.txt beside or inside the data folder. */
export function findPairsFile(data: string, given?: string): string {
  const candidates = given ? [given] : [path.join(data, 'pairs.txt'), path.join(path.dirname(path.resolve(data)), 'pairs.txt')];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(given ? `${given}: pairs file not found` : `no pairs.txt in or beside ${data}; give it with --pairs`);
  return found;
}

export async function runTable2(spec: Table2Spec, hooks: StageHooks): Promise<Table2Results> {
  const ws = new Workspace(spec.out);
  const dataset = spec.pairsOnly ? { onlyPaths: lfwPairImagePaths(spec.pairs) } : {};
  const rows: Table2Row[] = [];
  for (const model of spec.models) {
    const set = await ensureFeatures(ws, model, spec.data, dataset, hooks, false);
    const entry = zooEntry(model);
    const unflipped = set.items.flatMap((it, r) => (isOriginal(it) ? [r] : []));
    const items = unflipped.map((r) => set.items[r]);
    const x = gatherRows(set.rows(), set.dim, unflipped);
    const { pairs, missing } = readLfwPairs(spec.pairs, items);
    const scored = scorePairs(x, x, set.dim, pairs);
    const k = kFoldAccuracy(scored);
    const ident = await closedSetIdentification(
      x,
      x,
      items.map((i) => i.identity),
      set.dim,
    );
    const ex = set.manifest.extraction;
    const row: Table2Row = {
      model: entry.id,
      dim: set.dim,
      images: set.count,
      skipped: set.manifest.skipped?.length ?? 0,
      verification: { pairs: scored.length, missing, mean: k.mean, std: k.std, tarAtFar: tarAtFar(scored) },
      identification: { rank1: ident.rank1, rank10: ident.cmc[9], pairs: ident.pairs },
      ...(entry.published ? { published: entry.published } : {}),
      ...(entry.caveat ? { caveat: entry.caveat } : {}),
      ...(ex && ex.images > 0 ? { imagesPerSecond: ex.images / ex.seconds } : {}),
    };
    hooks.log(
      `${entry.id}: LFW verification ${(100 * k.mean).toFixed(2)} ± ${(100 * k.std).toFixed(2)}% (${scored.length} pairs, ${missing} without a face), rank-1 ${(100 * ident.rank1).toFixed(2)}%`,
    );
    rows.push(row);
  }
  const results: Table2Results = {
    kind: 'table2',
    createdAt: new Date().toISOString(),
    ...(spec.command ? { command: spec.command } : {}),
    data: spec.data,
    pairsFile: spec.pairs,
    pairsOnly: spec.pairsOnly,
    rows,
  };
  writeJsonAtomic(ws.results('table2', 'json'), results);
  writeFileAtomic(ws.results('table2', 'md'), table2Markdown(results));
  return results;
}

const pct = (x: number | undefined) => (x == null || !Number.isFinite(x) ? '–' : (100 * x).toFixed(2));

export function table2Markdown(r: Table2Results): string {
  const lines = [
    "# Table 2 on your data: the face models' own quality",
    '',
    `Data: \`${r.data}\` (${r.pairsOnly ? 'the images the pairs file names' : 'every image'}); pairs: \`${r.pairsFile}\`.`,
    "Verification: 10-fold accuracy on the pairs file (threshold chosen on 9 folds, accuracy on the 10th; mean ± std; pairs with an image where no face was found are left out). Identification: closed-set rank-1 and rank-10 over every ordered pair of an identity's images, all other images as distractors.",
    r.command ? `\nCommand: \`${r.command}\`` : '',
    '',
    '| Model | dim | images (no face) | LFW verification (%) | TAR@FAR=1e-2 (%) | rank-1 (%) | rank-10 (%) | published LFW (%) | images/s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.rows.map(
      (x) =>
        `| ${x.model}${x.caveat ? ' ⚠' : ''} | ${x.dim} | ${x.images} (${x.skipped}) | ${pct(x.verification.mean)} ± ${pct(x.verification.std)} (${x.verification.pairs} pairs) | ${pct(x.verification.tarAtFar.find((t) => t.far === 1e-2)?.tar)} | ${pct(x.identification.rank1)} | ${pct(x.identification.rank10)} | ${x.published ? `${x.published.lfw} (${x.published.source})` : '–'} | ${x.imagesPerSecond?.toFixed(2) ?? '–'} |`,
    ),
    '',
    ...r.rows.filter((x) => x.caveat).map((x) => `⚠ ${x.model}: ${x.caveat}`),
    '',
  ];
  return lines.join('\n');
}
