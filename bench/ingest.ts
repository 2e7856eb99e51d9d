// Baseline ingest figure: logs 1,000,000 points through logBatch over real HTTP into
// PostgreSQL and prints points/second.
//   npm run bench:ingest                      (defaults below; database: BENCH_DATABASE_URL or runledger_bench)
//   BENCH_DATABASE_URL=postgresql://... BENCH_POINTS=1000000 BENCH_BATCH=10000 BENCH_CLIENTS=4 npm run bench:ingest
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { cpuMeter } from './lib/cpu.js';
import { benchDatabaseUrl, ensureDatabase } from './lib/database.js';
import { asSeries } from './lib/series.js';

const databaseUrl = benchDatabaseUrl();
await ensureDatabase(databaseUrl);
const totalPoints = Number(process.env.BENCH_POINTS ?? 1_000_000);
const batchSize = Number(process.env.BENCH_BATCH ?? 10_000);
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const keys = ['loss', 'val/loss', 'acc', 'val/acc', 'lr', 'grad_norm', 'throughput', 'gpu_mem'];
// `series` sends each key's points as columns (LogBatchInput.series), `points` one object per point.
const shape = process.env.BENCH_SHAPE === 'points' ? 'points' : 'series';

const app = await createApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: String(clients + 2) }));
const { url } = await app.start();
const endpoint = `${url}/graphql`;

async function gql<T>(query: string, variables: unknown): Promise<T> {
  const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as T;
}

const project = `bench-ingest-${randomUUID().slice(0, 8)}`;
await gql('mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }', { i: { name: project } });
const runIds: string[] = [];
for (let c = 0; c < clients; c += 1) {
  const data = await gql<{ startRun: { run: { id: string } } }>('mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }', {
    i: { project, name: `writer-${c}` },
  });
  runIds.push(data.startRun.run.id);
}

const batches = Math.ceil(totalPoints / batchSize);
let next = 0;
const latencies: number[] = [];
const started = performance.now();
const cpu = cpuMeter(new URL(databaseUrl).pathname.slice(1));
await Promise.all(
  runIds.map(async (runId) => {
    for (let b = next++; b < batches; b = next++) {
      const metrics = Array.from({ length: batchSize }, (_, i) => {
        const n = b * batchSize + i;
        return { key: keys[n % keys.length]!, value: Math.sin(n) * 10, step: Math.floor(n / keys.length) };
      });
      const input = shape === 'series' ? { runId, series: asSeries(metrics) } : { runId, metrics };
      const t0 = performance.now();
      await gql('mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }', { i: input });
      latencies.push(performance.now() - t0);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const used = cpu();
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
const written = batches * batchSize;
console.log(`ingest: ${written.toLocaleString()} points in ${batches} batches of ${batchSize} (as ${shape}) from ${clients} clients over HTTP into PostgreSQL`);
console.log(`  ${Math.round(written / seconds).toLocaleString()} points/s  (${seconds.toFixed(1)} s; batch latency p50 ${pct(50)} ms, p99 ${pct(99)} ms)`);
console.log(
  `  CPU per 1,000 points: node ${((used.nodeMs / written) * 1000).toFixed(2)} ms (clients included), postgres ${((used.postgresMs / written) * 1000).toFixed(2)} ms`,
);
console.log(`  rerun: BENCH_POINTS=${totalPoints} BENCH_BATCH=${batchSize} BENCH_CLIENTS=${clients} BENCH_SHAPE=${shape} npm run bench:ingest`);
await app.stop();
