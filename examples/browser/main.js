// The example page's logic: every step a real application takes, and window.r3anResult for tests.
import { loadMapper, bestMatches, ready } from '../../dist/browser/r3an.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
for (const k of ['mapper', 'probes', 'gallery']) if (params.has(k)) $(k).value = params.get(k);

async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function run() {
  const status = $('status');
  status.className = '';
  status.textContent = 'loading…';
  try {
    const backend = await ready();
    const mapper = await loadMapper(new URL($('mapper').value, location.href).href);
    const probes = (await getJson($('probes').value)).map((p, i) => (Array.isArray(p) ? { label: `#${i + 1}`, descriptor: p } : p));
    const gallery = await getJson($('gallery').value);
    const t0 = performance.now();
    const mapped = mapper.map(probes.map((p) => p.descriptor));
    const ms = performance.now() - t0;
    const body = $('results').querySelector('tbody');
    body.replaceChildren(
      ...probes.map((p, i) => {
        const tr = document.createElement('tr');
        const matches = bestMatches(mapped[i], gallery, 3);
        for (const text of [
          p.label,
          `[${Array.from(mapped[i].slice(0, 4), (v) => v.toFixed(3)).join(', ')}, …]`,
          matches.map((m) => `${m.label} (${m.score.toFixed(3)})`).join(', '),
        ]) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
    );
    $('results').hidden = false;
    status.className = 'ok';
    status.textContent = `${mapper.source.id} → ${mapper.target.id} (${mapper.arch}): ${probes.length} descriptors mapped in ${ms.toFixed(1)} ms on TF.js ${backend}`;
    window.r3anResult = {
      mapped: mapped.map((m) => Array.from(m)),
      matches: mapped.map((m) => bestMatches(m, gallery, 1)[0]?.label),
      ms,
      backend,
    };
    mapper.dispose();
  } catch (e) {
    status.className = 'err';
    status.textContent = String(e.message ?? e);
    window.r3anResult = { error: String(e.message ?? e) };
  }
}

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  run();
});
run();
