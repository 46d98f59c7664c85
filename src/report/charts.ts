// Charts as declarative Vega-Lite specs, rendered headless to SVG by Vega and rasterised to PNG by sharp.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import sharp from 'sharp';
import { writeFileAtomic } from '../io/atomic.js';
import type { EpochRecord } from '../train/checkpoint.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Renders at `scale`× for sharp text; returns the CSS size to show it at (1×). */
export async function renderChartPng(spec: TopLevelSpec, file: string, scale = 2): Promise<{ width: number; height: number }> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const png = await sharp(Buffer.from(svg), { density: 72 * scale })
      .png()
      .toBuffer({ resolveWithObject: true });
    writeFileAtomic(file, png.data);
    return { width: Math.round(png.info.width / scale), height: Math.round(png.info.height / scale) };
  } finally {
    view.finalize();
  }
}

export interface CurveSeries {
  name: string;
  cmc?: number[];
  roc?: { far: number; tar: number }[];
}

export function cmcSpec(series: CurveSeries[]): TopLevelSpec {
  const values = series.flatMap((s) => (s.cmc ?? []).map((v, i) => ({ series: s.name, rank: i + 1, rate: v })));
  return {
    $schema: SCHEMA,
    title: 'CMC (identification with distractors)',
    width: 320,
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'rank', type: 'quantitative', title: 'rank', scale: { domain: [1, 10] } },
      y: { field: 'rate', type: 'quantitative', title: 'identification rate', scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 360 } },
    },
  };
}

export function rocSpec(series: CurveSeries[]): TopLevelSpec {
  const values = series.flatMap((s) => (s.roc ?? []).filter((p) => p.far > 0).map((p) => ({ series: s.name, far: p.far, tar: p.tar })));
  return {
    $schema: SCHEMA,
    title: 'ROC (verification)',
    width: 320,
    height: 220,
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'far', type: 'quantitative', title: 'false accept rate', scale: { type: 'log' } },
      y: { field: 'tar', type: 'quantitative', title: 'true accept rate', scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 360 } },
    },
  };
}

/** One small panel per loss and validation metric, epoch on x. */
export function trainingSpec(history: EpochRecord[]): TopLevelSpec {
  const values = history.flatMap((h) => [
    ...Object.entries(h.losses).map(([k, v]) => ({ epoch: h.epoch, metric: `loss ${k}`, value: v })),
    ...(h.val ? [{ epoch: h.epoch, metric: 'val cosine', value: h.val.cosine }] : []),
    ...(h.val?.top1 != null ? [{ epoch: h.epoch, metric: 'val top-1', value: h.val.top1 }] : []),
  ]);
  return {
    $schema: SCHEMA,
    title: 'Training (per epoch)',
    data: { values },
    columns: 4,
    facet: { field: 'metric', type: 'nominal', title: null },
    spec: {
      width: 150,
      height: 100,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative' },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** One mapper's learning curve: validation top-1 against iterations (one point for a closed form). */
export interface LearningSeries {
  label: string;
  points: { iterations: number; top1: number }[];
}

/**
 * Held-out (validation) top-1 against training iterations for every mapper on one axis; closed-form
 * mappers and the mean predictor are drawn as flat lines across the whole range.
 */
export function learningCurveSpec(series: LearningSeries[], meanTop1?: number): TopLevelSpec {
  const maxIt = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.iterations)));
  const values = series.flatMap((s) =>
    s.points.length === 1
      ? [
          { mapper: s.label, iterations: 0, top1: s.points[0].top1 },
          { mapper: s.label, iterations: maxIt, top1: s.points[0].top1 },
        ]
      : s.points.map((p) => ({ mapper: s.label, ...p })),
  );
  if (meanTop1 != null)
    values.push(
      { mapper: 'mean predictor', iterations: 0, top1: meanTop1 },
      { mapper: 'mean predictor', iterations: maxIt, top1: meanTop1 },
    );
  return {
    $schema: SCHEMA,
    title: 'Learning curves: validation top-1 on held-out training identities',
    data: { values },
    width: 520,
    height: 280,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'iterations', type: 'quantitative', title: 'training iterations' },
      y: { field: 'top1', type: 'quantitative', title: 'validation top-1', scale: { domain: [0, 1] } },
      color: { field: 'mapper', type: 'nominal' },
    },
  };
}

export interface EmbeddedPoint {
  panel: string;
  x: number;
  y: number;
  identity: string;
}

/** Side-by-side 2-D embeddings (source, mapped, target), coloured by identity. */
export function embeddingSpec(points: EmbeddedPoint[], panels: string[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: 'Feature distributions (UMAP, one colour per identity)',
    data: { values: points },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
    spec: {
      width: 240,
      height: 240,
      mark: { type: 'circle', size: 40, opacity: 0.8 },
      encoding: {
        x: { field: 'x', type: 'quantitative', axis: null },
        y: { field: 'y', type: 'quantitative', axis: null },
        color: { field: 'identity', type: 'nominal', scale: { scheme: 'category20' }, legend: null },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}
