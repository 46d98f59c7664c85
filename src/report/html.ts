// The report page: self-contained HTML (inline CSS, images referenced beside it, no network).
import type { ResultTable } from '../experiment/markdown.js';

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface ReportSection {
  id: string;
  title: string;
  text?: string;
  image?: { file: string; alt: string; width?: number };
  tables?: ResultTable[];
}

export function tableHtml(t: ResultTable): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`)
    .join('\n');
  return `<table><caption>${escapeHtml(t.title)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const CSS = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; color: #1d2330; background: #f6f7fb; }
header { background: #1d2330; color: #fff; padding: 28px 40px; }
header h1 { margin: 0 0 6px; font-size: 26px; }
header p { margin: 0; color: #c9cfdd; }
nav { padding: 10px 40px; background: #fff; border-bottom: 1px solid #e2e5ee; }
nav a { margin-right: 18px; color: #3a5bd9; text-decoration: none; }
main { padding: 10px 40px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid #e2e5ee; border-radius: 8px; padding: 18px 24px; margin: 22px 0; }
section h2 { margin-top: 0; font-size: 19px; }
img { max-width: 100%; height: auto; display: block; margin: 10px 0; }
table { border-collapse: collapse; margin: 12px 0 20px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: 6px; }
th, td { border-bottom: 1px solid #e2e5ee; padding: 5px 12px; text-align: right; }
th[scope=row], thead th:first-child { text-align: left; }
thead th { background: #f0f2f8; }
.facts { color: #4b5366; }
`;

export function reportHtml(title: string, subtitle: string, facts: string[], sections: ReportSection[]): string {
  const nav = sections.map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`).join('');
  const body = sections
    .map((s) =>
      [
        `<section id="${s.id}"><h2>${escapeHtml(s.title)}</h2>`,
        s.text ? `<p>${escapeHtml(s.text)}</p>` : '',
        s.image
          ? `<img src="${escapeHtml(s.image.file)}" alt="${escapeHtml(s.image.alt)}"${s.image.width ? ` width="${s.image.width}"` : ''}>`
          : '',
        ...(s.tables ?? []).map(tableHtml),
        '</section>',
      ].join('\n'),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="r3an"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><header><h1>${escapeHtml(title)}</h1><p>${escapeHtml(subtitle)}</p></header>
<nav>${nav}</nav>
<main><section id="setup" class="facts">${facts.map((f) => `<p>${escapeHtml(f)}</p>`).join('\n')}</section>
${body}
</main></body></html>
`;
}
