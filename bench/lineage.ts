// Lineage latency at scale on the seed's graph of about 1.2 million nodes and 3.1 million
// edges (bench/lib/lineage-graph.ts; built here too if the seed has not): p50/p95 of depth-10
// upstream and downstream walks and of "which model versions used dataset X" (downstream
// reach through derived datasets, fine-tuning chains included) through the lineage service,
// then the same questions over HTTP beside the PostgreSQL adapter's SQL.
//   npm run bench:lineage
//   BENCH_DATABASE_URL=postgresql://... BENCH_SAMPLES=200 npm run bench:lineage
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { benchDatabaseUrl, ensureDatabase } from './lib/database.js';
import { postJson, timeSequential } from './lib/http.js';
import { buildLineageGraph, N, OFFSET } from './lib/lineage-graph.js';
import { fmt, printTable, type Row, writeResults } from './lib/report.js';
import type { NodeRef } from '../src/modules/lineage/graph.js';

// `npm run bench` runs this after run.ts; BENCH_ONLY without "lineage" skips it there too.
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
if (only && !only.includes('lineage')) process.exit(0);

const databaseUrl = benchDatabaseUrl();
await ensureDatabase(databaseUrl);
const samples = Number(process.env.BENCH_SAMPLES ?? 200);

const app = await createApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl }));
const { sql } = app.db;
const graph = await buildLineageGraph(sql);
console.log(`graph: ${graph.nodes.toLocaleString()} nodes, ${graph.edges.toLocaleString()} edges in PostgreSQL lineage_edges`);

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

// Over HTTP, as an on-call engineer's client asks: the same walks through GraphQL, with a
// label per node, beside the PostgreSQL adapter's own recursive SQL for the same start.
const { url } = await app.start();
const endpoint = `${url}/graphql`;
const gid = (ref: NodeRef) => Buffer.from(`${ref.type}:${ref.id}`).toString('base64');
const walkQuery = `query($id: ID!, $direction: LineageDirection!) {
  lineage(id: $id, direction: $direction, depth: 10) { nodes { id type depth label } edges { from to kind } } }`;
const rows: Row[] = [];
async function compare(benchmark: string, starts: NodeRef[], overHttp: (s: NodeRef) => Promise<unknown>, direct: (s: NodeRef) => Promise<unknown>) {
  const ours = await timeSequential(starts.length, (i) => overHttp(starts[i % starts.length]!));
  const raw = await timeSequential(starts.length, (i) => direct(starts[i % starts.length]!));
  rows.push({
    benchmark,
    ours: `${fmt(ours.p50)} / ${fmt(ours.p95)}`,
    raw: `${fmt(raw.p50)} / ${fmt(raw.p95)} (SQL)`,
    ratio: ours.p95 / raw.p95,
    goal: 'p95 < 10 ms',
    met: ours.p95 < 10,
    details: { ours, raw, samples: starts.length },
  });
}
const walk = (direction: 'UPSTREAM' | 'DOWNSTREAM') => (s: NodeRef) => postJson(endpoint, { query: walkQuery, variables: { id: gid(s), direction } });
const walkDirect = (direction: 'UPSTREAM' | 'DOWNSTREAM') => (s: NodeRef) => lineage.traverseMany([s], { direction, depth: 10 });
await compare('lineage: UPSTREAM depth 10 from a model version, p50 / p95 (ms)', pick(N.modelVersions, samples, 11).map(mv), walk('UPSTREAM'), walkDirect('UPSTREAM'));
await compare('lineage: DOWNSTREAM depth 10 from a dataset version, p50 / p95 (ms)', pick(N.datasetVersions, samples, 12).map(dv), walk('DOWNSTREAM'), walkDirect('DOWNSTREAM'));
const modelsQuery = `query($name: String!, $version: String!) {
  models(usedDataset: { name: $name, version: $version }, alias: "production") { id version model { name } } }`;
const datasetLabel = (s: NodeRef) => {
  const i = s.id - OFFSET;
  return { name: `bench-lineage-ds-${Math.floor((i - 1) / 10) + 1}`, version: `v${((i - 1) % 10) + 1}` };
};
await compare(
  'lineage: production models that used dataset X, p50 / p95 (ms)',
  pick(N.datasetVersions, samples, 13).map(dv),
  (s) => postJson(endpoint, { query: modelsQuery, variables: datasetLabel(s) }),
  (s) => app.services.incidents.models({ usedDataset: datasetLabel(s), alias: 'production', at: null }),
);
printTable(rows);
const rerun = `BENCH_DATABASE_URL=${databaseUrl} BENCH_SAMPLES=${samples} npm run bench:lineage`;
console.log(`\nrerun: ${rerun}`);
await writeResults('lineage', { databaseUrl: databaseUrl.replace(/\/\/[^@]*@/, '//'), graph, rows, rerun });
await app.stop();
