// The compliance bundle as a self-contained HTML model card: one file, inline styles, no scripts,
// no external requests; every value escaped. The bundle's JSON is embedded at the end.
import type { Bundle } from './service.js';

const esc = (value: unknown): string =>
  String(value ?? '—')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

function table(headers: string[], rows: unknown[][], empty = 'none'): string {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c instanceof Raw ? c.html : esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

class Raw {
  constructor(readonly html: string) {}
}

const verdict = (passed: boolean) => new Raw(passed ? '<span class="ok">pass</span>' : '<span class="bad">fail</span>');

function gateRows(results: { rule: string; passed: boolean; detail: string }[]): unknown[][] {
  return results.map((r) => [r.rule, verdict(r.passed), r.detail]);
}

const STYLE = `
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;max-width:1100px;margin:2rem auto;padding:0 1.5rem}
h1{font-size:1.6rem;margin:0}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d8dde6;padding-bottom:.25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;border-bottom:1px solid #e6e9ef;padding:.3rem .5rem;vertical-align:top}
th{font-weight:600;background:#f4f6f9}code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}pre{background:#f4f6f9;padding:.75rem;overflow:auto;max-height:30rem}
.muted{color:#66708a}.ok{color:#137333;font-weight:600}.bad{color:#b3261e;font-weight:600}.tag{display:inline-block;background:#e8eefc;border-radius:4px;padding:0 .4rem;margin-right:.25rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:#66708a}dd{margin:0}
`;

export function renderModelCard(b: Bundle): string {
  const v = b.version;
  const run = b.run;
  const kv = (items: [string, unknown][]) =>
    `<dl>${items.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${val instanceof Raw ? val.html : esc(val)}</dd>`).join('')}</dl>`;
  const sections = [
    `<header><p class="muted">Model card · ${esc(b.model.project)}</p><h1>${esc(b.model.name)} version ${esc(v.number)}</h1>
     <p>${v.aliases.map((a) => `<span class="tag">${esc(a)}</span>`).join('') || '<span class="muted">no alias now</span>'}</p>
     <p class="muted">Generated ${esc(b.generatedAt)} for ${esc(b.generatedBy)} · ${esc(b.format)}</p></header>`,
    `<h2>Version</h2>${kv([
      ['Description', v.description],
      ['Registered by', v.createdBy],
      ['Registered at', v.createdAt],
      ...((v.artifact
        ? [
            ['Artifact', `${v.artifact.name} (${v.artifact.kind}, ${v.artifact.sizeBytes} bytes)`],
            ['sha256', new Raw(`<code>${esc(v.artifact.digest)}</code>`)],
          ]
        : [['Source', v.source]]) as [string, unknown][]),
    ])}`,
    run
      ? `<h2>Training run</h2>${kv([
          ['Run', new Raw(`<a href="${esc(run.url)}">${esc(run.name)}</a> <code>${esc(run.id)}</code>`)],
          ['Status', run.status],
          ['By', run.user],
          ['Started', run.startedAt],
          ['Ended', run.endedAt],
          ['Seed', run.seed],
        ])}
     <h3>Parameters</h3>${table(['key', 'value'], Object.entries(run.params))}
     <h3>Metrics</h3>${table(
       ['key', 'last', 'min', 'max', 'last step', 'points'],
       run.metrics.map((m) => [m.key, m.last, m.min, m.max, m.lastStep, m.points]),
     )}
     <h3>Tags</h3>${table(['key', 'value'], Object.entries(run.tags))}
     <h3>Environment</h3><pre>${esc(JSON.stringify(run.environment ?? null, null, 2))}</pre>`
      : '<h2>Training run</h2><p class="bad">No run was recorded: the version was registered from its source alone.</p>',
    `<h2>Code</h2>${
      b.code
        ? `${kv([
            ['Repository', b.code.repository],
            ['Commit', new Raw(`<code>${esc(b.code.commit)}</code>`)],
            ['Branch', b.code.branch],
            ['Committed at', b.code.committedAt],
            ['Working tree', b.code.dirty ? 'dirty' : 'clean'],
          ])}${b.code.diff ? `<h3>Uncommitted diff (${esc(b.code.diff.sizeBytes)} bytes, sha256 <code>${esc(b.code.diff.digest)}</code>)</h3>${b.code.diff.text !== null ? `<pre>${esc(b.code.diff.text)}</pre>` : `<p class="muted">${esc(b.code.diff.note)}</p>`}` : ''}`
        : '<p class="bad">No code commit was recorded.</p>'
    }`,
    `<h2>Input data</h2>${table(
      ['role', 'dataset', 'version', 'digest', 'coverage', 'rows', 'quarantine'],
      b.inputs.map((i) =>
        'hidden' in i
          ? [i.role, new Raw('<span class="muted">in a project you have no role in</span>'), '', '', '', '', '']
          : [
              i.role,
              `${i.dataset} (${i.project})`,
              i.version,
              new Raw(`<code>${esc(i.digest)}</code>${i.contentDigest ? '' : ' <span class="bad">no content digest</span>'}`),
              i.coverage ? `${i.coverage.start ?? '…'} – ${i.coverage.end ?? '…'}` : '',
              i.rowCount,
              i.quarantine ? new Raw(`<span class="bad">quarantined</span> by ${esc(i.quarantine.by)}: ${esc(i.quarantine.reason)}`) : '',
            ],
      ),
      'no dataset input was logged',
    )}`,
    `<h2>Upstream lineage (${esc(b.lineage.depth)} hops)</h2>${table(
      ['depth', 'type', 'node'],
      b.lineage.nodes.map((n) => [n.depth, n.type, n.label]),
    )}${table(
      ['from', 'edge', 'to', 'recorded'],
      b.lineage.edges.map((e) => [e.from, e.kind + (e.role ? ` (${e.role})` : ''), e.to, e.at]),
    )}`,
    `<h2>Promotion rules for ${esc(b.gates.alias)} (evaluated ${esc(b.gates.evaluatedAt)})</h2>${table(['rule', 'result', 'detail'], gateRows(b.gates.results))}`,
    `<h2>Promotion requests and approvals</h2>${
      b.promotions
        .map(
          (p) => `<h3><a href="${esc(p.url)}">Request ${esc(p.number)}</a>: ${esc(p.action)} ${esc(p.alias)} · ${esc(p.status)}</h3>
           ${kv([
             ['Requested by', p.requestedBy],
             ['Reason', p.reason],
             ['Needs', p.needs],
             ['Override', p.override],
             ['Filed', p.createdAt],
             ['Decided', p.decidedAt],
           ])}${table(
             ['who', 'decision', 'comment', 'groups', 'at'],
             p.decisions.map((d) => [d.by, d.decision, d.comment, d.groups.join(', '), d.at]),
             'no decision yet',
           )}
           ${table(['rule', 'result', 'detail'], gateRows(p.gateResults), 'no rule results recorded')}`,
        )
        .join('') || '<p class="muted">no promotion request</p>'
    }`,
    `<h2>Alias history</h2>${table(
      ['at', 'alias', 'action', 'from', 'to', 'by', 'reason', 'override', 'request'],
      b.aliasHistory.map((e) => [e.at, e.alias, e.action, e.from, e.to, e.by, e.reason, e.override, e.promotionRequest]),
    )}`,
    `<h2>Bundle (JSON)</h2><details><summary>Show the machine-readable bundle</summary><pre>${esc(JSON.stringify(b, null, 2))}</pre></details>`,
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(b.model.name)} v${esc(v.number)}: model card</title><style>${STYLE}</style></head><body>${sections.join('\n')}</body></html>`;
}
