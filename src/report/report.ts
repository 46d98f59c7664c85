// `r3an report`: the paper's evidence for a user's own mapper and data — reconstructions (Fig. 4),
// feature distributions (Fig. 5), CMC/ROC curves, training curves and the results tables — as one
// self-contained page with the PNGs it shows.
import fs from 'node:fs';
import path from 'node:path';
import { assertSameSpace, type FeatureSet } from '../features/feature-set.js';
import { gatherRows, groupRows, pairRowsByPath } from '../features/rows.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkMapperInput } from '../mapper/map-gallery.js';
import { mapRows } from '../mapper/map-rows.js';
import { loadMapper, readMapperManifest, type MapperManifest } from '../mapper/mapper.js';
import { FACE_SIZE } from '../core/face-size.js';
import { archLabel, type Arch } from '../train/architectures.js';
import { evaluateSpace, type SpaceEval } from '../experiment/evaluate.js';
import type { ExperimentResults } from '../experiment/experiment.js';
import { experimentSetup, experimentTables, experimentTitle, trainingLine } from '../experiment/markdown.js';
import {
  cmcSpec,
  embeddingSpec,
  learningCurveSpec,
  renderChartPng,
  rocSpec,
  trainingSpec,
  type CurveSeries,
  type EmbeddedPoint,
  type LearningSeries,
} from './charts.js';
import { pickIdentities, umap2d } from './embedding.js';
import { reportHtml, type ReportSection } from './html.js';
import { reconstruct, writeReconstructionGrid } from './reconstruction.js';

export const REPORT_FILES = {
  index: 'index.html',
  reconstruction: 'reconstruction.png',
  embedding: 'feature-distributions.png',
  cmc: 'cmc.png',
  roc: 'roc.png',
  learning: 'learning.png',
  training: 'training.png',
} as const;

/** Each mapper's validation top-1 per epoch (by iterations), from its mapper.json. */
function learningSeries(m: MapperManifest, r?: ExperimentResults): { series: LearningSeries[]; meanTop1?: number } {
  const manifests: [string, MapperManifest][] = [];
  if (r?.pairs[0]) {
    for (const [a, x] of Object.entries(r.pairs[0].rows)) {
      try {
        manifests.push([archLabel(a), readMapperManifest(x!.mapper)]);
      } catch {
        /* moved or deleted: left out */
      }
    }
  } else manifests.push([archLabel(m.arch), m]);
  let meanTop1: number | undefined;
  const series = manifests
    .map(([label, man]) => {
      const iterationsPerEpoch = man.training.trainItems ? Math.ceil(man.training.trainItems / man.config.batchSize) : 1;
      const points = man.history
        .filter((h) => h.val?.top1 != null)
        .map((h) => {
          meanTop1 ??= h.val!.meanTop1;
          return { iterations: h.iterations ?? h.epoch * iterationsPerEpoch, top1: h.val!.top1! };
        });
      return { label, points };
    })
    .filter((s) => s.points.length > 0);
  return { series, ...(meanTop1 != null ? { meanTop1 } : {}) };
}

export interface ReportInput {
  mapperDir: string;
  /** source-space features of held-out images (crops, if present, feed the reconstruction grid) */
  source: FeatureSet;
  /** target-space features of the same images */
  target: FeatureSet;
  /** target-space distractors for the curves when no experiment results are given */
  distractors?: FeatureSet;
  results?: ExperimentResults;
  out: string;
  seed?: number;
  log?: (msg: string) => void;
}

export interface ReportOutput {
  index: string;
  images: string[];
}

export async function writeReport(input: ReportInput): Promise<ReportOutput> {
  const log = input.log ?? (() => {});
  const seed = input.seed ?? 1;
  const mapper = await loadMapper(input.mapperDir, { withGenerator: true });
  const { source: srcSet, target: tgtSet } = input;
  checkMapperInput(mapper, srcSet);
  assertSameSpace(mapper.manifest.target, tgtSet.model, `mapper ${input.mapperDir} vs target ${tgtSet.dir}`);
  fs.mkdirSync(input.out, { recursive: true });
  const file = (f: string) => path.join(input.out, f);
  const images: string[] = [];
  const sections: ReportSection[] = [];
  const srcId = srcSet.model.id,
    tgtId = tgtSet.model.id,
    arch = mapper.manifest.arch as Arch;
  try {
    const { a: sRows, b: tRows } = pairRowsByPath(srcSet.items, tgtSet.items);
    if (sRows.length === 0) throw new Error(`${srcSet.dir} and ${tgtSet.dir} share no image paths`);
    const ds = srcSet.dim,
      dt = tgtSet.dim;
    const X = gatherRows(srcSet.rows(), ds, sRows),
      Y = gatherRows(tgtSet.rows(), dt, tRows);
    const identities = sRows.map((r) => srcSet.items[r].identity);
    log(`report: mapping ${sRows.length} held-out features`);
    const M = mapRows(mapper.mapping, X, ds, dt, true, `mapper ${mapper.dir}`);

    // Fig. 4: real crops beside G(X)
    const cropSet = srcSet.hasCrops ? { set: srcSet, rows: sRows } : tgtSet.hasCrops ? { set: tgtSet, rows: tRows } : undefined;
    if (mapper.generator && cropSet) {
      const perRow = pickIdentities(identities, 8, 4);
      const picked = [...groupRows(perRow.map((i) => identities[i])).values()].map((g) => g.map((k) => perRow[k]));
      const flat = picked.flat();
      const real = gatherRows(
        cropSet.set.crops(),
        FACE_SIZE * FACE_SIZE * 3,
        flat.map((i) => cropSet.rows[i]),
      );
      const fake = reconstruct(mapper.generator, gatherRows(X, ds, flat), ds);
      let k = 0;
      await writeReconstructionGrid(
        real,
        fake,
        picked.map((g) => g.map(() => k++)),
        file(REPORT_FILES.reconstruction),
      );
      images.push(REPORT_FILES.reconstruction);
      sections.push({
        id: 'reconstruction',
        title: 'Faces reconstructed from features (Fig. 4)',
        image: { file: REPORT_FILES.reconstruction, alt: 'real face crops beside generator reconstructions' },
        text: `Each pair: the real 56×56 face crop (left) and G(X), the face the generator reconstructs from the ${srcId} feature of that image alone (right). One row per held-out identity (${picked.length} identities never seen in training).`,
      });
    } else {
      sections.push({
        id: 'reconstruction',
        title: 'Faces reconstructed from features (Fig. 4)',
        text: mapper.generator
          ? 'No face crops in the given feature sets (extract with --crops) to compare with.'
          : `The ${archLabel(arch)} mapper has no generator: reconstructions exist only for R³AN and its ablations.`,
      });
    }

    // Fig. 5: feature distributions of ~20 identities, source | mapped | target
    const pick = pickIdentities(identities, 20, 10);
    if (pick.length >= 3) {
      log(`report: UMAP of ${pick.length} features × 3 spaces`);
      const panels = [`source: ${srcId}`, `mapped: ${archLabel(arch)}(${srcId})`, `target: ${tgtId}`];
      const spaces: [Float32Array, number][] = [
        [X, ds],
        [M, dt],
        [Y, dt],
      ];
      const points: EmbeddedPoint[] = spaces.flatMap(([m, d], p) =>
        umap2d(gatherRows(m, d, pick), d, seed).map(([x, y], k) => ({ panel: panels[p], x, y, identity: identities[pick[k]] })),
      );
      const size = await renderChartPng(embeddingSpec(points, panels), file(REPORT_FILES.embedding));
      images.push(REPORT_FILES.embedding);
      sections.push({
        id: 'distributions',
        title: 'Feature distributions (Fig. 5)',
        image: { file: REPORT_FILES.embedding, alt: 'UMAP of source, mapped and target features', width: size.width },
        text: `UMAP of ${pick.length} held-out images of ${new Set(pick.map((i) => identities[i])).size} identities, one colour per identity. A good mapping makes the middle panel's clusters look like the right panel's.`,
      });
    }

    // CMC and ROC
    const series: CurveSeries[] = [];
    const push = (name: string, e: SpaceEval | undefined) => {
      if (e) series.push({ name, cmc: e.identification.cmc, roc: e.verification.roc });
    };
    const r = input.results;
    const pair = r?.pairs.find((p) => p.source === srcId && p.target === tgtId);
    if (r && pair) {
      push(`${srcId} (self)`, r.self[srcId]);
      push(`${tgtId} (self)`, r.self[tgtId]);
      for (const [a, x] of Object.entries(pair.rows)) push(`${archLabel(a)} ${srcId}→${tgtId}`, x?.eval);
    } else {
      const D = input.distractors?.rows() ?? new Float32Array(0);
      const srcD = new Float32Array(0); // no source-space distractors: self-source uses the closed set
      push(
        `${srcId} (self, closed set)`,
        await evaluateSpace({ probes: X, gallery: X, identities, distractors: srcD, dim: ds, crossModel: false, seed }),
      );
      push(`${tgtId} (self)`, await evaluateSpace({ probes: Y, gallery: Y, identities, distractors: D, dim: dt, crossModel: false, seed }));
      push(
        `${archLabel(arch)} ${srcId}→${tgtId}`,
        await evaluateSpace({ probes: M, gallery: Y, identities, distractors: D, dim: dt, crossModel: true, seed }),
      );
    }
    const cmcSize = await renderChartPng(cmcSpec(series), file(REPORT_FILES.cmc));
    const rocSize = await renderChartPng(rocSpec(series), file(REPORT_FILES.roc));
    images.push(REPORT_FILES.cmc, REPORT_FILES.roc);
    sections.push({
      id: 'cmc',
      title: 'Identification (CMC)',
      image: { file: REPORT_FILES.cmc, alt: 'CMC curves', width: cmcSize.width },
      text: 'Fraction of probes whose mate is among the N highest-scoring gallery entries (mate hidden among the distractors).',
    });
    sections.push({
      id: 'roc',
      title: 'Verification (ROC)',
      image: { file: REPORT_FILES.roc, alt: 'ROC curves', width: rocSize.width },
      text: 'True accept rate against false accept rate over same- and different-identity pairs of held-out images.',
    });

    // learning curves: every mapper of the experiment (or this one) on one axis
    const curves = learningSeries(mapper.manifest, r);
    if (curves.series.some((s) => s.points.length > 1)) {
      const size = await renderChartPng(learningCurveSpec(curves.series, curves.meanTop1), file(REPORT_FILES.learning));
      images.push(REPORT_FILES.learning);
      sections.push({
        id: 'learning',
        title: 'Learning curves',
        image: { file: REPORT_FILES.learning, alt: 'validation top-1 against training iterations', width: size.width },
        text: "Validation top-1 (mapped probes among the true target features of held-out training identities) after each epoch, against training iterations; closed-form mappers and the mean predictor (every probe mapped to the training targets' mean) are flat lines.",
      });
    }

    // training curves
    const history = mapper.manifest.history.filter((h) => Object.keys(h.losses).length > 0);
    if (history.length > 0) {
      const trainSize = await renderChartPng(trainingSpec(history), file(REPORT_FILES.training));
      images.push(REPORT_FILES.training);
      sections.push({
        id: 'training',
        title: 'Training curves',
        image: { file: REPORT_FILES.training, alt: 'losses and validation metrics per epoch', width: trainSize.width },
        text: `${archLabel(arch)}, ${history.length} epoch(s): every loss (per sample, epoch mean) and the validation metrics on held-out training identities.`,
      });
    }
    if (r)
      sections.unshift({ id: 'tables', title: experimentTitle(r), tables: experimentTables(r), text: `Training: ${trainingLine(r)}.` });

    const facts = r
      ? experimentSetup(r).replace(/`/g, '').split('\n\n')
      : [
          `Mapper ${input.mapperDir} (${archLabel(arch)}, ${srcId} ${ds}-d → ${tgtId} ${dt}-d); ${sRows.length} held-out images of ${new Set(identities).size} identities from ${srcSet.dir} and ${tgtSet.dir}.`,
        ];
    const html = reportHtml(
      `r3an: ${srcId} → ${tgtId}`,
      `Cross-model face recognition with R³AN — what the ${archLabel(arch)} mapper does on held-out identities`,
      facts,
      sections,
    );
    writeFileAtomic(file(REPORT_FILES.index), html);
    return { index: file(REPORT_FILES.index), images };
  } finally {
    mapper.mapping.dispose();
    mapper.generator?.dispose();
  }
}
