// Experiment results as markdown tables: the paper's Table 5 layout (one row per ordered model pair) and
// Table 3 layout (one row per architecture on one pair).
import { RIDGE_GRID, type TrainConfig } from '../train/config.js';
import { GAIN_GRID } from '../nn/output-gain.js';
import { ARCHITECTURES, archLabel, isClosedForm, type Arch } from '../train/architectures.js';
import type { ExperimentResults } from './results.js';
import type { SpaceEval } from './evaluate.js';

const pct = (x: number | undefined) => (x == null || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(2)}`);
const acc = (e: SpaceEval | undefined) => (e ? `${pct(e.verification.accuracy.mean)} ± ${pct(e.verification.accuracy.std)}` : '–');
const tar = (e: SpaceEval | undefined, far: number) => pct(e?.verification.tarAtFar.find((t) => t.far === far)?.tar);
const dur = (s: number) => (s < 90 ? `${s.toFixed(1)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(2)} h`);
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const header = (cells: string[]) => [row(cells), row(cells.map(() => '---'))].join('\n');

export function experimentSetup(r: ExperimentResults): string {
  const s = r.split;
  const protocol =
    Object.values(r.self)[0]?.identification.protocol === 'closed-set'
      ? "closed set (no single-image identities: each mate competes with the other test identities' gallery images)"
      : `${s.distractorImages} distractors (the single-image identities)`;
  return [
    `Data: \`${r.data}\`; identity-disjoint split (seed ${s.seed}): ${s.trainIdentities} training identities (${s.trainImages} images), ${s.testIdentities} test identities (${s.testImages} images), ${protocol}.`,
    s.trainExtra
      ? `Extra training data: the training parts hold ${s.trainExtra.trainRows} rows in all, adding those of ${s.trainExtra.sets.map((d) => `\`${d}\``).join(', ')} that are not of a test or distractor identity.`
      : '',
    `Identification: MegaFace-style rank-1 (%) over every ordered (gallery, probe) pair of a test identity's images. Verification: 10-fold accuracy (%) over all same-identity test pairs and as many random different-identity pairs.`,
    `Models: ${r.models.map((m) => `${m.id} (${m.dim}-d, ${m.images} images, ${m.skipped} skipped)`).join('; ')}. Backend: ${r.backend}.`,
    r.command ? `Command: \`${r.command}\`` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

export function trainingLine(r: ExperimentResults): string {
  const one = (a: Arch, c: TrainConfig) => {
    const fit = ARCHITECTURES[a].fit;
    const how =
      fit === 'ridge'
        ? `ridge λ=${c.ridgeLambda === 'auto' ? `best of ${RIDGE_GRID.join('/')} on validation` : c.ridgeLambda}`
        : fit === 'procrustes'
          ? 'closed form'
          : `${c.iters != null ? `${c.iters} iterations` : `${c.epochs} epochs`}${c.timeMinutes ? ` (≤ ${c.timeMinutes} min)` : ''}, batch ${c.batchSize}, seed ${c.seed}`;
    return `${archLabel(a)}: ${how}`;
  };
  const gains = [...new Set(Object.values(r.configs).map((c) => c.gain ?? 1))];
  const gainLine =
    gains.length === 1 && gains[0] === 'auto'
      ? `. Every mapping's output gain around the target mean (μ + g·(Ŷ − μ)) is chosen from ${GAIN_GRID.join('/')} on validation`
      : gains.every((g) => g === 1)
        ? ''
        : `. Output gain: ${gains.join('/')}`;
  return (
    Object.entries(r.configs)
      .map(([a, c]) => one(a as Arch, c))
      .join('; ') + gainLine
  );
}

/** A results table, rendered as markdown here and as HTML by the report. */
export interface ResultTable {
  title: string;
  columns: string[];
  rows: string[][];
}

export function table5Tables(r: ExperimentResults): ResultTable[] {
  const archs = Object.keys(r.configs) as Arch[];
  const columns = ['Source → Target', 'Src→Src', 'Tgt→Tgt', ...archs.map((a) => `${archLabel(a)} Src→Tgt`)];
  const name = (p: ExperimentResults['pairs'][number]) => `${p.source} → ${p.target}`;
  return [
    {
      title: 'Identification rank-1 (%)',
      columns,
      rows: r.pairs.map((p) => [
        name(p),
        pct(r.self[p.source]?.identification.rank1),
        pct(r.self[p.target]?.identification.rank1),
        ...archs.map((a) => pct(p.rows[a]?.eval.identification.rank1)),
      ]),
    },
    {
      title: 'Identification rank-1 averaged per person (%): every test person counts alike, however many images they have',
      columns,
      rows: r.pairs.map((p) => [
        name(p),
        pct(r.self[p.source]?.identification.rank1PerPerson),
        pct(r.self[p.target]?.identification.rank1PerPerson),
        ...archs.map((a) => pct(p.rows[a]?.eval.identification.rank1PerPerson)),
      ]),
    },
    {
      title: 'Verification, 10-fold accuracy (%)',
      columns,
      rows: r.pairs.map((p) => [name(p), acc(r.self[p.source]), acc(r.self[p.target]), ...archs.map((a) => acc(p.rows[a]?.eval))]),
    },
    {
      title: 'Training time',
      columns: ['Source → Target', ...archs.map((a) => archLabel(a))],
      rows: r.pairs.map((p) => [
        name(p),
        ...archs.map((a) => {
          const x = p.rows[a];
          return x ? `${dur(x.trainSeconds)}${isClosedForm(a) ? '' : ` (${x.epochs} ep, best ${x.bestEpoch ?? '–'})`}` : '–';
        }),
      ]),
    },
  ];
}

export function table3Tables(r: ExperimentResults): ResultTable[] {
  return r.pairs.map((p) => ({
    title: `${p.source} → ${p.target} (Src→Src rank-1 ${pct(r.self[p.source]?.identification.rank1)}, Tgt→Tgt ${pct(r.self[p.target]?.identification.rank1)})`,
    columns: [
      'Arch',
      'Rec:Adv',
      'Rec:L2',
      'Rep:L2',
      'Reg:L2',
      'rank-1',
      'rank-10',
      'verification acc.',
      'TAR@FAR=1e-2',
      'cos(mapped, true)',
      'training',
    ],
    rows: (Object.keys(p.rows) as Arch[]).map((a) => {
      const x = p.rows[a]!,
        e = x.eval;
      const sw = ARCHITECTURES[a].losses;
      const mark = (on: boolean | undefined) => (sw ? (on ? '✓' : '') : '–');
      return [
        archLabel(a),
        mark(sw?.recAdv),
        mark(sw?.recL2),
        mark(sw?.rep),
        mark(sw?.reg),
        pct(e.identification.rank1),
        pct(e.identification.cmc[9]),
        acc(e),
        tar(e, 1e-2),
        e.cosine?.toFixed(3) ?? '–',
        `${dur(x.trainSeconds)}${isClosedForm(a) ? '' : ` (${x.epochs} ep)`}`,
      ];
    }),
  }));
}

export function experimentTables(r: ExperimentResults): ResultTable[] {
  return r.kind === 'table3' ? table3Tables(r) : table5Tables(r);
}

export function tableMarkdown(t: ResultTable): string {
  return [`### ${t.title}`, header(t.columns), ...t.rows.map(row)].join('\n');
}

export const experimentTitle = (r: ExperimentResults) =>
  r.kind === 'table3'
    ? 'Table 3 on your data: ablations of R³AN'
    : r.kind === 'table5'
      ? 'Table 5 on your data: cross-model identification'
      : 'r3an demo';

export function experimentMarkdown(r: ExperimentResults): string {
  return [
    `# ${experimentTitle(r)}`,
    '',
    experimentSetup(r),
    '',
    `Training: ${trainingLine(r)}.`,
    '',
    experimentTables(r).map(tableMarkdown).join('\n\n'),
    '',
    `Run time of this invocation: extraction ${dur(r.seconds.extract)}, training ${dur(r.seconds.train)}, evaluation ${dur(r.seconds.evaluate)}.`,
    '',
  ].join('\n');
}
