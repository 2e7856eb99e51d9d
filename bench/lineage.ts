// Lineage latency at scale: builds (once) a graph of about 1.2 million nodes and 3.1 million
// edges in PostgreSQL's lineage_edges, shaped like a busy ML platform, then prints p50/p95 of
// depth-10 upstream and downstream walks and of "which model versions used dataset X"
// (downstream reach through derived datasets, fine-tuning chains included), through the
// lineage service and the PostgreSQL adapter.
//   npm run bench:lineage
//   BENCH_DATABASE_URL=postgresql://... BENCH_SAMPLES=200 npm run bench:lineage
// The graph is built with set-based SQL (generate_series) straight into the edge table, once:
// later runs find it and only measure.
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { benchDatabaseUrl, ensureDatabase } from './lib/database.js';
import type { NodeRef } from '../src/modules/lineage/graph.js';

// `npm run bench` runs this after run.ts; BENCH_ONLY without "lineage" skips it there too.
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
if (only && !only.includes('lineage')) process.exit(0);

const databaseUrl = benchDatabaseUrl();
await ensureDatabase(databaseUrl);
const samples = Number(process.env.BENCH_SAMPLES ?? 200);

// Synthetic node ids live far above real ones.
const OFFSET = 100_000_000;
const N = { datasetVersions: 200_000, commits: 50_000, runs: 450_000, artifacts: 400_000, modelVersions: 130_000 };
const T0 = '2024-01-01T00:00:00Z';
const SPAN_SECONDS = 2 * 365 * 86_400; // ids are in time order over two years

const app = await createApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '4' }));
const { sql } = app.db;

// A cheap deterministic hash of (i, salt) in [0, m): the same graph every build.
const h = (i: string, salt: number, m: string) => `(((${i})::bigint * 2654435761 + ${salt} * 40503) % 2147483647 % (${m}))`;
// When node i of a kind with n nodes was created.
const at = (i: string, n: number) => `(timestamptz '${T0}' + ((${i})::float8 / ${n} * ${SPAN_SECONDS}) * interval '1 second')`;

const steps: { name: string; sql: string }[] = [
  {
    // Datasets come in families of ten versions, each derived from the one before (raw ->
    // cleaned -> features ...); one version in twenty also joins in an earlier family's data.
    name: 'DatasetVersion -DERIVED_INTO-> DatasetVersion',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'DatasetVersion', ${OFFSET} + p, 'DatasetVersion', ${OFFSET} + i, 'DERIVED_INTO', ${at('i', N.datasetVersions)}
      FROM generate_series(2, ${N.datasetVersions}) i
      CROSS JOIN LATERAL (SELECT i - 1 AS p WHERE i % 10 <> 1
                          UNION ALL SELECT i - 10 - ${h('i', 2, 'least(i - 11, 5000)')} WHERE i % 20 = 0 AND i > 20) parents
      ON CONFLICT DO NOTHING`,
  },
  {
    // Runs read four dataset versions, mostly recent ones (as of the run's time).
    name: 'DatasetVersion -INPUT_TO-> Run',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, role, created_at)
      SELECT 'DatasetVersion', ${OFFSET} + greatest(1, d.cap - ${h('r * 4 + k', 3, 'least(d.cap, 20000)')}), 'Run', ${OFFSET} + r, 'INPUT_TO',
             (ARRAY['train', 'validation', 'test', 'holdout'])[k + 1], ${at('r', N.runs)}
      FROM generate_series(1, ${N.runs}) r
      CROSS JOIN LATERAL (SELECT greatest(1, (r::float8 / ${N.runs} * ${N.datasetVersions})::int) AS cap) d
      CROSS JOIN generate_series(0, 3) k
      ON CONFLICT DO NOTHING`,
  },
  {
    name: 'CodeCommit -INPUT_TO-> Run',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'CodeCommit', ${OFFSET} + greatest(1, (r::float8 / ${N.runs} * ${N.commits})::int - ${h('r', 4, '50')}), 'Run', ${OFFSET} + r, 'INPUT_TO', ${at('r', N.runs)}
      FROM generate_series(1, ${N.runs}) r
      ON CONFLICT DO NOTHING`,
  },
  {
    // Sweeps: one run in ten is the child of a run shortly before it.
    name: 'Run -PARENT_OF-> Run',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'Run', ${OFFSET} + r - 1 - ${h('r', 5, '20')}, 'Run', ${OFFSET} + r, 'PARENT_OF', ${at('r', N.runs)}
      FROM generate_series(100, ${N.runs}, 10) r
      ON CONFLICT DO NOTHING`,
  },
  {
    name: 'Run -PRODUCED-> Artifact',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'Run', ${OFFSET} + greatest(1, (a::float8 / ${N.artifacts} * ${N.runs})::int), 'Artifact', ${OFFSET} + a, 'PRODUCED', ${at('a', N.artifacts)}
      FROM generate_series(1, ${N.artifacts}) a
      ON CONFLICT DO NOTHING`,
  },
  {
    name: 'Artifact -REGISTERED_AS-> ModelVersion',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at)
      SELECT 'Artifact', ${OFFSET} + greatest(1, (m::float8 / ${N.modelVersions} * ${N.artifacts})::int), 'ModelVersion', ${OFFSET} + m, 'REGISTERED_AS', ${at('m', N.modelVersions)}
      FROM generate_series(1, ${N.modelVersions}) m
      ON CONFLICT DO NOTHING`,
  },
  {
    // Fine-tuning: one run in five starts from a recent model version (chains of models).
    name: 'ModelVersion -INPUT_TO-> Run',
    sql: `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, role, created_at)
      SELECT 'ModelVersion', ${OFFSET} + mv, 'Run', ${OFFSET} + r, 'INPUT_TO', 'base-model', ${at('r', N.runs)}
      FROM generate_series(5000, ${N.runs}, 5) r
      CROSS JOIN LATERAL (SELECT greatest(1, (r::float8 / ${N.runs} * ${N.modelVersions})::int - 1 - ${h('r', 6, '200')}) AS mv) m
      ON CONFLICT DO NOTHING`,
  },
];

async function edgeCount(): Promise<number> {
  const rows = await sql.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM lineage_edges WHERE to_id > ${OFFSET}`);
  return Number(rows[0]!.n);
}

let edges = await edgeCount();
if (edges < 3_000_000) {
  if (edges > 0) throw new Error(`lineage_edges holds a partial bench graph (${edges} edges); use a fresh BENCH_DATABASE_URL`);
  console.log('building the bench graph (once per database)...');
  for (const step of steps) {
    const t0 = performance.now();
    await sql.query(step.sql);
    console.log(`  ${step.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  await sql.query('ANALYZE lineage_edges');
  edges = await edgeCount();
}
const nodes = await sql.query<{ n: number }>(
  `SELECT count(*)::bigint AS n FROM (SELECT from_type, from_id FROM lineage_edges WHERE from_id > ${OFFSET}
   UNION SELECT to_type, to_id FROM lineage_edges WHERE to_id > ${OFFSET}) x`,
);
console.log(`graph: ${Number(nodes[0]!.n).toLocaleString()} nodes, ${edges.toLocaleString()} edges in PostgreSQL lineage_edges`);

function pick(n: number, count: number, salt: number): number[] {
  return Array.from({ length: count }, (_, i) => OFFSET + 1 + ((i * 7919 + salt * 104729) % n));
}

async function measure(name: string, starts: NodeRef[], run: (start: NodeRef) => Promise<number>) {
  const latencies: number[] = [];
  let sizes = 0;
  for (const start of starts.slice(0, 5)) await run(start); // warm the cache and the plans
  for (const start of starts) {
    const t0 = performance.now();
    sizes += await run(start);
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
  console.log(`  ${name.padEnd(58)} p50 ${pct(50).padStart(7)} ms   p95 ${pct(95).padStart(7)} ms   (avg ${Math.round(sizes / starts.length)} nodes)`);
}

const lineage = app.services.lineage;
const mv = (id: number): NodeRef => ({ type: 'ModelVersion', id });
const dv = (id: number): NodeRef => ({ type: 'DatasetVersion', id });
const commit = (id: number): NodeRef => ({ type: 'CodeCommit', id });

console.log(`latency over ${samples} starts each (through the lineage service, source: PostgreSQL):`);
await measure('lineage UPSTREAM depth 10 from a model version', pick(N.modelVersions, samples, 1).map(mv), async (s) => {
  const [g] = await lineage.traverseMany([s], { direction: 'UPSTREAM', depth: 10 });
  return g!.nodes.length;
});
await measure('lineage DOWNSTREAM depth 10 from a dataset version', pick(N.datasetVersions, samples, 2).map(dv), async (s) => {
  const [g] = await lineage.traverseMany([s], { direction: 'DOWNSTREAM', depth: 10 });
  return g!.nodes.length;
});
await measure('lineage DOWNSTREAM depth 10 from a code commit', pick(N.commits, samples, 3).map(commit), async (s) => {
  const [g] = await lineage.traverseMany([s], { direction: 'DOWNSTREAM', depth: 10 });
  return g!.nodes.length;
});
await measure('model versions that used dataset X (any depth)', pick(N.datasetVersions, samples, 4).map(dv), async (s) => {
  return (await lineage.reach([s], 'DOWNSTREAM', 'ModelVersion')).length;
});
console.log(`  rerun: BENCH_DATABASE_URL=${databaseUrl} BENCH_SAMPLES=${samples} npm run bench:lineage`);
await app.stop();
