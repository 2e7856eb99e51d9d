// `npm run bench:read-under-write`: how much run search and metric history slow down while
// metrics are being written (issue 29 item 5), at several write rates in one run, each read
// latency beside the same read on the idle server, so the ratio is what counts on a noisy machine.
//   BENCH_RW_DATABASE_URL=postgresql://... npm run bench:read-under-write   (default: runledger_rw_bench, recreated)
//   RW_RATES=2500,5000,10000 RW_RUNS=2000 RW_SERIES=200000 RW_SAMPLES=60 npm run bench:read-under-write
import '../src/node-env.js';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { postJson, type LatencyStats, timeSequential } from './lib/http.js';
import { fmt, printTable, type Row, writeResults } from './lib/report.js';
import { SEARCH_FILTER, searchQuery } from './lib/search-query.js';
import { asSeries } from './lib/series.js';

const env = process.env;
const databaseUrl = env.BENCH_RW_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/runledger_rw_bench';
const RATES = (env.RW_RATES ?? '2500,5000,10000').split(',').map(Number);
const RUNS = Number(env.RW_RUNS ?? 2000);
const SERIES = Number(env.RW_SERIES ?? 200_000);
const SAMPLES = Number(env.RW_SAMPLES ?? 60);
const WRITERS = 8;
const BATCH = 1000;
const rerun = `BENCH_RW_DATABASE_URL=${databaseUrl} RW_RATES=${RATES.join(',')} RW_RUNS=${RUNS} RW_SERIES=${SERIES} RW_SAMPLES=${SAMPLES} npm run bench:read-under-write`;

/** A fresh database each run: reads are compared on the same data, not on what earlier runs left. */
async function recreateDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

await recreateDatabase(databaseUrl);
const app = await createApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '16' }));
const { url } = await app.start();
const endpoint = `${url}/graphql`;
const gql = <T>(query: string, variables?: unknown) => postJson<T>(endpoint, { query, variables });
const START = 'mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }';
const LOG = 'mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }';
const newRun = async (project: string, name: string, tags: { key: string; value: string }[] = []) =>
  (await gql<{ startRun: { run: { id: string } } }>(START, { i: { project, name, tags } })).startRun.run.id;

async function inParallel(n: number, count: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let i = next++; i < count; i = next++) await fn(i);
    }),
  );
}

// ---------------------------------------------------------------- seed (through the API, like a user's jobs)
const project = 'rw-search';
await gql(`mutation { a: createProject(input: { name: "${project}" }) { created } b: createProject(input: { name: "rw-write" }) { created } }`);
process.stderr.write(`seeding ${RUNS} runs and a ${SERIES}-point series\n`);
await inParallel(WRITERS, RUNS, async (i) => {
  const id = await newRun(project, `r${i}`, [{ key: 't00', value: i % 2 ? 'recs' : 'search' }]);
  await gql(LOG, {
    i: {
      runId: id,
      params: [{ key: 'p00', value: ['0.001', '0.01', '0.1'][i % 3] }],
      metrics: [{ key: 'm01', value: ((i * 7919) % 1000) / 1000, step: 0 }],
    },
  });
});
const longRun = await newRun(project, 'long');
await inParallel(4, SERIES / BATCH, (b) =>
  gql(LOG, {
    i: {
      runId: longRun,
      series: [{ key: 'loss', steps: Array.from({ length: BATCH }, (_, i) => b * BATCH + i), values: Array.from({ length: BATCH }, () => Math.random()) }],
    },
  }),
);
await app.services.metrics.foldRollups();
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
await pool.query('ANALYZE');

const history = `{ run(id: "${longRun}") { metricHistory(key: "loss", maxPoints: 1000) { totalPoints } } }`;
const reads = {
  search: () => gql(searchQuery(project), { f: SEARCH_FILTER }),
  history: () => gql(history),
};

/** Both reads, one after another, `SAMPLES` times each. */
async function measureReads(): Promise<Record<keyof typeof reads, LatencyStats>> {
  return { search: await timeSequential(SAMPLES, reads.search), history: await timeSequential(SAMPLES, reads.history) };
}

/**
 * Writers logging 1k-point batches (8 metrics a step) into their own runs, paced to `rate`
 * values/s in total, until `stop` resolves; returns the rate achieved.
 */
async function writeAt(rate: number, stop: Promise<void>): Promise<number> {
  const keys = Array.from({ length: 8 }, (_, k) => `w${k}`);
  const runs = await Promise.all(Array.from({ length: WRITERS }, (_, w) => newRun('rw-write', `w${rate}-${w}-${Date.now()}`)));
  let stopped = false;
  void stop.then(() => (stopped = true));
  const t0 = performance.now();
  let sent = 0;
  await Promise.all(
    runs.map(async (runId, w) => {
      for (let b = 0; !stopped; b += 1) {
        // Pace: this writer's next batch is due when the total so far would match the rate.
        const due = t0 + ((sent + BATCH) / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (stopped) break;
        const points = Array.from({ length: BATCH }, (_, i) => ({ key: keys[i % 8]!, value: Math.random(), step: b * 125 + Math.floor(i / 8) }));
        sent += BATCH;
        await gql(LOG, { i: { runId, series: asSeries(points), batchId: `rw-${rate}-${w}-${b}` } });
      }
    }),
  );
  return sent / ((performance.now() - t0) / 1000);
}

const rows: Row[] = [];
for (const rate of RATES) {
  // Idle figures right before each loaded window, so a load change elsewhere on the machine
  // hits both sides of a ratio alike rather than only the later windows.
  const idle = await measureReads();
  let finish!: () => void;
  const stop = new Promise<void>((r) => (finish = r));
  const writing = writeAt(rate, stop);
  await new Promise((r) => setTimeout(r, 1000)); // the writers reach their pace
  const loaded = await measureReads();
  finish();
  const achieved = await writing;
  for (const read of ['search', 'history'] as const) {
    const [a, b] = [idle[read], loaded[read]];
    rows.push({
      benchmark: `${read} while writing ${fmt(achieved, 0)} values/s (asked ${fmt(rate, 0)}), p50 / p99 (ms)`,
      ours: `${fmt(b.p50)} / ${fmt(b.p99)}`,
      raw: `${fmt(a.p50)} / ${fmt(a.p99)} (idle)`,
      ratio: b.p99 / a.p99,
      goal: '-',
      met: null,
      details: { rate, achieved, idle: a, loaded: b, p50Ratio: b.p50 / a.p50, p99Ratio: b.p99 / a.p99 },
    });
  }
}

await app.stop();
await pool.end();
printTable(rows);
console.log('\nratio: p99 under write / p99 idle, same server and data, same run; the JSON has p50 ratios too');
console.log(`rerun: ${rerun}`);
await writeResults('read-under-write', { sizes: { runs: RUNS, series: SERIES, samples: SAMPLES, writers: WRITERS, batch: BATCH }, rows, rerun });
