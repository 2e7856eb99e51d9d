// What the HTTP edge's rules cost, in one process (no server, no database):
//   1. the input rules on the largest MLflow body a client sends (log-batch, 10,000 metrics):
//      JSON.parse then the rules' walk, beside JSON.parse alone (the walk alone in the details);
//   2. LIKE over 10,000 experiment names of 250 characters: the hostile pattern of issue 20
//      item 7 beside a plain one, with the linear matcher;
//   3. the backtracking RegExp it replaced, on names short enough for it to finish, beside the
//      linear matcher on the same names.
// Medians of several tries.
//   npm run bench:edge            (BENCH_EDGE_TRIES, default 15)
import { performance } from 'node:perf_hooks';
import { jsonProblem } from '../src/input-rules.js';
import { likeMatcher } from '../src/modules/search/like.js';
import { fmt, printTable, type Row, writeResults } from './lib/report.js';

const TRIES = Number(process.env.BENCH_EDGE_TRIES ?? 15);

function median(fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < TRIES; i += 1) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const body = JSON.stringify({
  run_id: '0'.repeat(31) + '1',
  metrics: Array.from({ length: 10_000 }, (_, i) => ({ key: `val/metric_${i % 50}`, value: Math.random(), timestamp: 1_790_000_000_000 + i, step: i })),
  params: Array.from({ length: 100 }, (_, i) => ({ key: `param_${i}`, value: `value ${i}` })),
  tags: Array.from({ length: 100 }, (_, i) => ({ key: `tag_${i}`, value: 'é'.repeat(40) })),
});
const parseOnly = median(() => JSON.parse(body));
const parseAndRules = median(() => jsonProblem(JSON.parse(body)));
const parsed = JSON.parse(body);
const rulesOnly = median(() => jsonProblem(parsed));

const names = Array.from({ length: 10_000 }, (_, i) => `${'c'.repeat(240)}${String(i).padStart(10, '0')}`);
const HOSTILE = '%c%c%c%c%c%c%c%c%d';
const hostile = likeMatcher('filter', HOSTILE);
const plain = likeMatcher('filter', '%0042%');
const likeHostile = median(() => names.filter(hostile));
const likePlain = median(() => names.filter(plain));

// The RegExp the experiments search used to compile; 24 characters keep it finishing.
const short = Array.from({ length: 200 }, () => 'c'.repeat(24));
const regex = /^.*c.*c.*c.*c.*c.*c.*c.*c.*d$/s;
const regexHostile = median(() => short.filter((n) => regex.test(n)));
const linearShort = median(() => short.filter(hostile));

const rows: Row[] = [
  {
    benchmark: `input rules, MLflow log-batch body (${fmt(body.length / 1024, 0)} KiB, 10,000 metrics)`,
    ours: `${fmt(parseAndRules, 2)} ms parse + rules`,
    raw: `${fmt(parseOnly, 2)} ms parse`,
    ratio: parseAndRules / parseOnly,
    goal: '< 1.5x parse',
    met: parseAndRules / parseOnly < 1.5,
    details: { bodyBytes: body.length, parseOnlyMs: parseOnly, parseAndRulesMs: parseAndRules, rulesOnlyMs: rulesOnly },
  },
  {
    benchmark: `LIKE '${HOSTILE}' over 10,000 names of 250 chars`,
    ours: `${fmt(likeHostile, 1)} ms`,
    raw: `${fmt(likePlain, 1)} ms for '%0042%'`,
    ratio: likeHostile / likePlain,
    goal: `< ${HOSTILE.length}x plain (linear)`,
    met: likeHostile / likePlain < HOSTILE.length,
    details: { hostileMs: likeHostile, plainMs: likePlain },
  },
  {
    benchmark: 'same hostile LIKE, 200 names of 24 chars: linear matcher vs the old RegExp',
    ours: `${fmt(linearShort, 3)} ms`,
    raw: `${fmt(regexHostile, 1)} ms RegExp`,
    ratio: linearShort / regexHostile,
    goal: '-',
    met: null,
    details: { linearMs: linearShort, regexMs: regexHostile, nameLength: 24 },
  },
];
printTable(rows);
console.log(`\nrerun: npm run bench:edge   (BENCH_EDGE_TRIES=${TRIES})`);
await writeResults('edge', { tries: TRIES, rows });
