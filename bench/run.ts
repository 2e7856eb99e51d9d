// `npm run bench`: every benchmark against PostgreSQL, each beside the raw database doing the
// same work in the same run, printed as a table and written to bench/results/.
//   BENCH_DATABASE_URL=postgresql://... npm run bench     (default: runledger_bench on the local server, created if missing)
//   BENCH_QUICK=1 npm run bench                            (fewer iterations, for a smoke run)
//   BENCH_SKIP_SEED=1 npm run bench                        (measure what is loaded; the seed resumes later)
//   BENCH_ONLY=search,overhead npm run bench               (only these of ingest, search, history, overhead, lineage;
//                                                           the table is printed, bench/results/latest.json is left alone)
import '../src/node-env.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { scanExtremes } from '../src/modules/metrics/store.js';
import { pgSql } from '../src/db/sql.js';
import { benchDatabaseUrl } from './lib/database.js';
import { postJson, throughput, timeSequential } from './lib/http.js';
import { fmt, printTable, type Row, writeResults } from './lib/report.js';
import { HAND_WRITTEN_SEARCH, handWrittenArgs, SEARCH_FILTER, searchQuery } from './lib/search-query.js';
import { asSeries } from './lib/series.js';
import { BIG_PROJECT, LONG_SERIES_RUN, seed } from './seed.js';

const databaseUrl = benchDatabaseUrl();
const quick = Boolean(process.env.BENCH_QUICK);
const rerun = `BENCH_DATABASE_URL=${databaseUrl} npm run bench`;
const BENCHMARKS = ['ingest', 'search', 'history', 'overhead', 'lineage'];
const onlyList =
  process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) ?? null;
const unknown = onlyList?.filter((name) => !BENCHMARKS.includes(name)) ?? [];
if (unknown.length) throw new Error(`BENCH_ONLY: unknown benchmark ${unknown.join(', ')}; choose from ${BENCHMARKS.join(', ')}`);
const selected = (name: string) => !onlyList || onlyList.includes(name);

const rows: Row[] = [];

// BENCH_SKIP_SEED=1 measures whatever is loaded (e.g. a seed interrupted on purpose).
if (!process.env.BENCH_SKIP_SEED) await seed(databaseUrl);
const app = await createApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '16' }));
const { url } = await app.start();
const endpoint = `${url}/graphql`;
const pool = new pg.Pool({ connectionString: databaseUrl, max: 16 });
const gql = <T>(query: string, variables?: unknown) => postJson<T>(endpoint, { query, variables });
const runGid = (id: number) => Buffer.from(`Run:${id}`).toString('base64');

async function newRun(project: string, name: string): Promise<number> {
  const data = await gql<{ startRun: { run: { id: string } } }>('mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }', {
    i: { project, name },
  });
  return Number(Buffer.from(data.startRun.run.id, 'base64').toString().split(':')[1]);
}

// ---------------------------------------------------------------- ingest
if (selected('ingest')) {
  const clients = 8;
  const batches = quick ? 80 : 400;
  const batchSize = 1000;
  const keys = Array.from({ length: 8 }, (_, k) => `m${String(k).padStart(2, '0')}`);
  const project = 'bench-ingest';
  await gql('mutation { createProject(input: { name: "bench-ingest" }) { created } }');
  const stamp = Date.now();
  const makeBatch = (b: number) =>
    Array.from({ length: batchSize }, (_, i) => ({ key: keys[i % 8]!, value: Math.sin(b * batchSize + i), step: b * 125 + Math.floor(i / 8) }));
  const ourRuns = await Promise.all(Array.from({ length: clients }, (_, c) => newRun(project, `ingest-${stamp}-${c}`)));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    ourRuns.map(async (runId) => {
      for (let b = next++; b < batches; b = next++) {
        await gql('mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }', { i: { runId: runGid(runId), series: asSeries(makeBatch(b)) } });
      }
    }),
  );
  const ours = (batches * batchSize) / ((performance.now() - t0) / 1000);
  // Rollups are folded in the background: also time until the last of these points is folded.
  await app.services.metrics.foldRollups();
  const oursFolded = (batches * batchSize) / ((performance.now() - t0) / 1000);

  // Raw: COPY the same rows into the same (indexed) table, with the same concurrency.
  const rawRuns = await Promise.all(Array.from({ length: clients }, (_, c) => newRun(project, `copy-${stamp}-${c}`)));
  const keyIds = new Map(
    (await pool.query<{ id: number; name: string }>('SELECT id, name FROM metric_keys WHERE name = ANY($1)', [keys])).rows.map((r) => [r.name, r.id]),
  );
  const ts = new Date().toISOString();
  const t1 = performance.now();
  await Promise.all(
    rawRuns.map(async (runId, c) => {
      const client = await pool.connect();
      try {
        const stream = client.query(copyFrom('COPY metric_points (run_id, key_id, step, ts, value) FROM STDIN'));
        for (let b = c; b < batches; b += clients) {
          const lines = makeBatch(b).map((p) => `${runId}\t${keyIds.get(p.key)}\t${p.step}\t${ts}\t${p.value}\n`);
          if (!stream.write(lines.join(''))) await new Promise((r) => stream.once('drain', r));
        }
        await new Promise<void>((resolve, reject) => {
          stream.on('finish', () => resolve());
          stream.on('error', reject);
          stream.end();
        });
      } finally {
        client.release();
      }
    }),
  );
  const raw = (batches * batchSize) / ((performance.now() - t1) / 1000);

  const latencyRun = await newRun(project, `latency-${stamp}`);
  const latency = await timeSequential(quick ? 30 : 200, (i) =>
    gql('mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }', { i: { runId: runGid(latencyRun), series: asSeries(makeBatch(i + 20)) } }),
  );
  rows.push({
    benchmark: 'ingest: logBatch 1k-point batches as series, 8 clients (points/s)',
    ours: fmt(ours, 0),
    raw: `${fmt(raw, 0)} (COPY)`,
    ratio: ours / raw,
    goal: '>= 0.5 of COPY',
    met: ours / raw >= 0.5,
    details: { pointsPerSecond: ours, pointsPerSecondFolded: oursFolded, copyPointsPerSecond: raw, batches, batchSize, clients },
  });
  rows.push({
    benchmark: 'ingest: the same, until its rollups are folded (points/s)',
    ours: fmt(oursFolded, 0),
    raw: `${fmt(raw, 0)} (COPY)`,
    ratio: oursFolded / raw,
    goal: '-',
    met: null,
    details: { pointsPerSecondFolded: oursFolded },
  });
  rows.push({
    benchmark: 'ingest: one 1k-point batch as series, latency p50 / p99 (ms)',
    ours: `${fmt(latency.p50)} / ${fmt(latency.p99)}`,
    raw: '-',
    ratio: Number.NaN,
    goal: 'p99 < 20 ms',
    met: latency.p99 < 20,
    details: { ...latency },
  });
}

// ---------------------------------------------------------------- search
if (selected('search')) {
  const filter = SEARCH_FILTER;
  const n = quick ? 30 : 200;
  const ours = await timeSequential(n, () => gql(searchQuery(BIG_PROJECT), { f: filter }));
  const projectId = (await pool.query<{ id: number }>('SELECT id FROM projects WHERE name = $1', [BIG_PROJECT])).rows[0]!.id;
  const keyId = (await pool.query<{ id: number }>("SELECT id FROM metric_keys WHERE name = 'm01'")).rows[0]!.id;
  const raw = await timeSequential(n, () => pool.query(HAND_WRITTEN_SEARCH, handWrittenArgs(projectId, keyId)));
  rows.push({
    benchmark: `search: runs(filter, orderBy metric) over ${BIG_PROJECT}, p50 / p95 (ms)`,
    ours: `${fmt(ours.p50)} / ${fmt(ours.p95)}`,
    raw: `${fmt(raw.p50)} / ${fmt(raw.p95)} (SQL)`,
    ratio: ours.p95 / raw.p95,
    goal: 'p95 < 3x SQL and < 50 ms',
    met: ours.p95 < 3 * raw.p95 && ours.p95 < 50,
    details: { ours, raw, filter },
  });
}

// ---------------------------------------------------------------- metric history
if (selected('history')) {
  const run = (await pool.query<{ id: number }>('SELECT id FROM runs WHERE client_run_id = $1', [LONG_SERIES_RUN])).rows[0]!.id;
  const keyId = (await pool.query<{ id: number }>("SELECT id FROM metric_keys WHERE name = 'm00'")).rows[0]!.id;
  const query = `{ run(id: "${runGid(run)}") { metricHistory(key: "m00", maxPoints: 1000) { totalPoints points { step value } } } }`;
  const ours = await timeSequential(quick ? 30 : 200, () => gql(query));
  const sql = pgSql(pool);
  const raw = await timeSequential(quick ? 5 : 20, () => scanExtremes(sql, { runId: run, keyId, fromStep: null, toStep: null }, 500), 2);
  rows.push({
    benchmark: 'history: metricHistory(maxPoints 1000) of 1M points, p50 / p95 (ms)',
    ours: `${fmt(ours.p50)} / ${fmt(ours.p95)}`,
    raw: `${fmt(raw.p50)} / ${fmt(raw.p95)} (scan)`,
    ratio: ours.p95 / raw.p95,
    goal: 'p95 < 20 ms',
    met: ours.p95 < 20,
    details: { ours, raw },
  });
}

// ---------------------------------------------------------------- GraphQL overhead
if (selected('overhead')) {
  const run = (await pool.query<{ id: number }>('SELECT id FROM runs ORDER BY id LIMIT 1')).rows[0]!.id;
  const body = { query: 'query($id: ID!) { run(id: $id) { id name status } }', variables: { id: runGid(run) } };
  const seconds = quick ? 2 : 8;
  // The bare handler: parse the same JSON, run the same SQL, answer the same shape.
  const bare = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const { variables } = JSON.parse(Buffer.concat(chunks).toString()) as { variables: { id: string } };
      const id = Number(Buffer.from(variables.id, 'base64').toString().split(':')[1]);
      const { rows: found } = await pool.query('SELECT id, name, status FROM runs WHERE id = $1', [id]);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { run: { ...found[0], id: variables.id } } }));
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
  // Short alternating windows, so a load spike from elsewhere on the machine hits both sides
  // alike instead of whichever happened to run during it.
  const rounds = quick ? 4 : 8;
  const oursRounds: number[] = [];
  const rawRounds: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const sides = [
      async () => oursRounds.push(await throughput(16, seconds / rounds, () => postJson(endpoint, body))),
      async () => rawRounds.push(await throughput(16, seconds / rounds, () => postJson(bareUrl, body))),
    ];
    if (round % 2) sides.reverse();
    for (const side of sides) await side();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ours = mean(oursRounds);
  const raw = mean(rawRounds);
  bare.close();
  rows.push({
    benchmark: 'overhead: run(id) over HTTP, 16 concurrent (req/s)',
    ours: fmt(ours, 0),
    raw: `${fmt(raw, 0)} (node:http + pg)`,
    ratio: ours / raw,
    goal: '>= 0.6 of bare handler',
    met: ours / raw >= 0.6,
    details: { ours, raw, seconds, oursRounds, rawRounds },
  });
}

await app.stop();
await pool.end();

printTable(rows);
console.log(`\nrerun: ${rerun}`);

// A partial run is not the record of the whole table.
if (!onlyList) await writeResults('latest', { databaseUrl: databaseUrl.replace(/\/\/[^@]*@/, '//'), quick, rows, rerun });
