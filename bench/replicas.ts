// `npm run bench:replicas`: ingest, search and run creation through 1 replica against 2 replicas
// of runledger on the same PostgreSQL (and Redis), in one invocation. Both processes run the
// whole time; "1 replica" sends every request to A, "2 replicas" alternates A and B per
// request, and the windows alternate (1, 2, 1, 2, ...) so load from elsewhere hits both alike.
// Also the cost the dropped per-process project cache put back: one lookup by name.
//   npm run bench:replicas
//   BENCH_DATABASE_URL=postgresql://...   (default runledger_bench_replicas on the local server, created if missing)
//   REDIS_URL=redis://...                 (default TEST_REDIS_URL, then redis://127.0.0.1:6379)
//   BENCH_REPLICAS_SECONDS=8 (per window)  BENCH_REPLICAS_ROUNDS=2  BENCH_REPLICAS_CLIENTS=8  BENCH_REPLICAS_RUNS=300 (searched)
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { ensureDatabase } from './lib/database.js';
import { throughput } from './lib/http.js';
import { percentile } from './lib/progress.js';
import { fmt, writeResults } from './lib/report.js';
import { type BenchServer, startBenchServer } from './lib/server-process.js';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/runledger_bench_replicas';
const redisUrl = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const seconds = Number(process.env.BENCH_REPLICAS_SECONDS ?? 8);
const rounds = Number(process.env.BENCH_REPLICAS_ROUNDS ?? 2);
const clients = Number(process.env.BENCH_REPLICAS_CLIENTS ?? 8);
const searchedRuns = Number(process.env.BENCH_REPLICAS_RUNS ?? 300);
const load = os.loadavg()[0]!.toFixed(2);

await ensureDatabase(databaseUrl);
const env = {
  DATABASE_URL: databaseUrl,
  DATABASE_POOL_SIZE: String(clients + 2),
  REDIS_URL: redisUrl,
  RUNLEDGER_PUBSUB_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
};
const servers = await Promise.all([startBenchServer(env), startBenchServer(env)]);

async function gql<T>(server: BenchServer, query: string, variables: unknown = {}): Promise<T> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data: T; errors?: unknown };
  if (json.errors) throw new Error(JSON.stringify(json.errors).slice(0, 500));
  return json.data;
}

const project = `replicas-${randomUUID().slice(0, 8)}`;
const [a] = servers as [BenchServer, BenchServer];
await gql(a, 'mutation($n: String!) { createProject(input: { name: $n }) { project { id } } }', { n: project });
const startRun = (s: BenchServer) =>
  gql<any>(s, 'mutation($p: String!) { startRun(input: { project: $p }) { run { id } } }', { p: project }).then((d) => d.startRun.run.id as string);

console.log(`seeding ${searchedRuns} runs in ${project} ...`);
for (let i = 0; i < searchedRuns; i += 10) {
  await Promise.all(
    Array.from({ length: 10 }, async (_, j) => {
      const id = await startRun(a);
      const metrics = Array.from({ length: 20 }, (_, step) => ({ key: 'loss', step, value: ((i + j) % 97) / 97 + step / 1000 }));
      await gql(a, 'mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }', {
        i: { runId: id, params: [{ key: 'lr', value: String([0.1, 0.01, 0.001][(i + j) % 3]) }], metrics },
      });
    }),
  );
}

/** A round-robin over the replicas in use: every request picks the next. */
function picker(n: number) {
  let next = 0;
  return () => servers[next++ % n]!;
}

const BATCH = 1000;
async function ingest(n: number): Promise<number> {
  const pick = picker(n);
  const runs = await Promise.all(Array.from({ length: clients }, () => startRun(a)));
  let client = 0;
  let points = 0;
  const perClientStep = new Map<string, number>();
  const rate = await throughput(clients, seconds, async () => {
    const runId = runs[client++ % clients]!;
    const from = perClientStep.get(runId) ?? 0;
    perClientStep.set(runId, from + BATCH);
    const metrics = Array.from({ length: BATCH }, (_, i) => ({ key: 'loss', step: from + i, value: i / BATCH }));
    await gql(pick(), 'mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }', { i: { runId, metrics } });
    points += BATCH;
  });
  return rate * BATCH;
}

async function search(n: number): Promise<{ perSecond: number; p50: number }> {
  const pick = picker(n);
  const times: number[] = [];
  const perSecond = await throughput(clients, seconds, async () => {
    const t0 = performance.now();
    await gql(pick(), 'query($p: String!, $f: String) { runs(project: $p, filter: $f, first: 50) { totalCount edges { node { id name } } } }', {
      p: project,
      f: "params.lr = '0.01' and metrics.loss < 0.5",
    });
    times.push(performance.now() - t0);
  });
  times.sort((x, y) => x - y);
  return { perSecond, p50: percentile(times, 50) };
}

async function creation(n: number): Promise<number> {
  const pick = picker(n);
  return throughput(clients, seconds, () => startRun(pick()));
}

type Figures = { ingestPointsPerSecond: number[]; searchPerSecond: number[]; searchP50Ms: number[]; startRunPerSecond: number[] };
const figures: Record<1 | 2, Figures> = {
  1: { ingestPointsPerSecond: [], searchPerSecond: [], searchP50Ms: [], startRunPerSecond: [] },
  2: { ingestPointsPerSecond: [], searchPerSecond: [], searchP50Ms: [], startRunPerSecond: [] },
};
for (let round = 0; round < rounds; round += 1) {
  for (const n of round % 2 ? ([2, 1] as const) : ([1, 2] as const)) {
    const f = figures[n];
    f.ingestPointsPerSecond.push(await ingest(n));
    const s = await search(n);
    f.searchPerSecond.push(s.perSecond);
    f.searchP50Ms.push(s.p50);
    f.startRunPerSecond.push(await creation(n));
    console.log(
      `round ${round + 1}, ${n} replica(s): ingest ${fmt(f.ingestPointsPerSecond.at(-1)!, 0)} points/s, search ${fmt(s.perSecond)}/s (p50 ${fmt(s.p50)} ms), startRun ${fmt(f.startRunPerSecond.at(-1)!)}/s`,
    );
  }
}

// What each startRun and run search pays since the project cache is gone: one lookup by name.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const lookups: number[] = [];
for (let i = 0; i < 500; i += 1) {
  const t0 = performance.now();
  await pool.query('SELECT * FROM projects WHERE name = $1', [project]);
  lookups.push(performance.now() - t0);
}
lookups.sort((x, y) => x - y);
await pool.end();
await Promise.all(servers.map((s) => s.stop()));

const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
const table = (['ingestPointsPerSecond', 'searchPerSecond', 'searchP50Ms', 'startRunPerSecond'] as const).map((k) => ({
  figure: k,
  oneReplica: mean(figures[1][k]),
  twoReplicas: mean(figures[2][k]),
  ratio: mean(figures[2][k]) / mean(figures[1][k]),
}));
console.log('\n| figure | 1 replica | 2 replicas | 2 / 1 |\n|---|---|---|---|');
for (const r of table) console.log(`| ${r.figure} | ${fmt(r.oneReplica)} | ${fmt(r.twoReplicas)} | ${r.ratio.toFixed(2)} |`);
const lookup = { p50Ms: percentile(lookups, 50), p95Ms: percentile(lookups, 95) };
console.log(`project lookup by name (the dropped cache's saving per startRun / search): p50 ${fmt(lookup.p50Ms, 3)} ms, p95 ${fmt(lookup.p95Ms, 3)} ms`);
const rerun = `BENCH_DATABASE_URL=${databaseUrl} BENCH_REPLICAS_SECONDS=${seconds} BENCH_REPLICAS_ROUNDS=${rounds} BENCH_REPLICAS_CLIENTS=${clients} npm run bench:replicas`;
console.log(`load average (1 min) at start: ${load} on ${os.cpus().length} cores (both replicas and PostgreSQL share them); rerun: ${rerun}`);
await writeResults('replicas', {
  rerun,
  machine: { cpus: os.cpus().length, loadAverage1m: Number(load), node: process.version },
  table,
  rounds: figures,
  projectLookup: lookup,
});
