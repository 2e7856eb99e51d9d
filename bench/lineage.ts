// Lineage latency at scale on the seed's graph of about 1.2 million nodes and 3.1 million
// edges (bench/lib/lineage-graph.ts; built here too if the seed has not), answered by
// PostgreSQL and by the Neo4j projection side by side, on the same starts in the same run:
// p50/p95 of depth-10 upstream and downstream walks and of "which model versions used dataset
// X", through the lineage service and over HTTP (GraphQL), plus the time to project the whole
// graph into Neo4j (lineage:rebuild).
//   npm run bench:lineage                                  (PostgreSQL only)
//   NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_USERNAME=neo4j NEO4J_PASSWORD=... npm run bench:lineage
//   BENCH_REBUILD=1 also times a clean rebuild when the projection is already complete;
//   BENCH_NEO4J_NAMESPACE (default "bench") keeps the bench graph apart from other users.
import { operatorAccess } from '../src/modules/auth/access.js';
import '../src/node-env.js';
import { type App, createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openNeo4jTarget, projectionCounts } from '../src/modules/lineage/graph-neo4j.js';
import type { NodeRef } from '../src/modules/lineage/graph.js';
import { rebuildProjection } from '../src/modules/lineage/rebuild.js';
import { countEdges } from '../src/modules/lineage/store.js';
import { benchDatabaseUrl, ensureDatabase } from './lib/database.js';
import { postJson, timeSequential, type LatencyStats } from './lib/http.js';
import { buildLineageGraph, N, OFFSET } from './lib/lineage-graph.js';
import { progressBar } from './lib/progress.js';
import { fmt, writeResults } from './lib/report.js';

// `npm run bench` runs this after run.ts; BENCH_ONLY without "lineage" skips it there too.
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
if (only && !only.includes('lineage')) process.exit(0);

const databaseUrl = benchDatabaseUrl();
await ensureDatabase(databaseUrl);
const samples = Number(process.env.BENCH_SAMPLES ?? 200);
const base = { PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl };
const neo4jEnv = process.env.NEO4J_URI
  ? {
      NEO4J_URI: process.env.NEO4J_URI,
      NEO4J_USERNAME: process.env.NEO4J_USERNAME ?? 'neo4j',
      NEO4J_PASSWORD: process.env.NEO4J_PASSWORD ?? '',
      RUNLEDGER_NEO4J_NAMESPACE: process.env.BENCH_NEO4J_NAMESPACE ?? 'bench',
    }
  : null;

const pgApp = await createApp(loadConfig(base));
const graph = await buildLineageGraph(pgApp.db.sql);
console.log(`graph: ${graph.nodes.toLocaleString()} nodes, ${graph.edges.toLocaleString()} edges in PostgreSQL lineage_edges`);

/** Projects the graph into Neo4j unless it is there already (or BENCH_REBUILD=1); returns the seconds it took. */
async function ensureProjection(): Promise<number | null> {
  const config = loadConfig({ ...base, ...neo4jEnv! }).neo4j!;
  const target = openNeo4jTarget(config);
  try {
    const edges = await countEdges(pgApp.db.sql);
    const projected = Object.values((await projectionCounts(target)).edges).reduce((a, b) => a + b, 0);
    if (projected === edges && process.env.BENCH_REBUILD !== '1') {
      console.log(`neo4j: projection complete (${projected.toLocaleString()} edges); BENCH_REBUILD=1 times a clean rebuild`);
      return null;
    }
    let bar: ReturnType<typeof progressBar> | null = null;
    const { ms } = await rebuildProjection(pgApp.db.sql, target, {
      clean: true,
      onProgress: (done, total) => (bar ??= progressBar('lineage:rebuild --clean', total)).update(done),
    });
    console.log(`\nneo4j: projected ${edges.toLocaleString()} edges in ${(ms / 1000).toFixed(1)} s`);
    return ms / 1000;
  } finally {
    await target.driver.close();
  }
}

const rebuildSeconds = neo4jEnv ? await ensureProjection() : null;
const apps: { name: 'PostgreSQL' | 'Neo4j'; app: App; url: string }[] = [{ name: 'PostgreSQL', app: pgApp, url: (await pgApp.start()).url }];
if (neo4jEnv) {
  const app = await createApp(loadConfig({ ...base, ...neo4jEnv }));
  const { url } = await app.start();
  for (let i = 0; i < 600 && (await app.services.lineage.projectionHealth()) !== 'ok'; i += 1) await new Promise((r) => setTimeout(r, 100));
  if ((await app.services.lineage.projectionHealth()) !== 'ok') throw new Error('the Neo4j projection is not current: reads would fall back to PostgreSQL');
  apps.push({ name: 'Neo4j', app, url });
}

function pick(n: number, count: number, salt: number): number[] {
  return Array.from({ length: count }, (_, i) => OFFSET + 1 + ((i * 7919 + salt * 104729) % n));
}
const mv = (id: number): NodeRef => ({ type: 'ModelVersion', id });
const dv = (id: number): NodeRef => ({ type: 'DatasetVersion', id });
const commit = (id: number): NodeRef => ({ type: 'CodeCommit', id });
const gid = (ref: NodeRef) => Buffer.from(`${ref.type}:${ref.id}`).toString('base64');
const walkQuery = `query($id: ID!, $direction: LineageDirection!) {
  lineage(id: $id, direction: $direction, depth: 10) { source nodes { id type depth label } edges { from to kind } } }`;
const modelsQuery = `query($name: String!, $version: String!) {
  models(usedDataset: { name: $name, version: $version }, alias: "production") { id version model { name } } }`;
const datasetLabel = (s: NodeRef) => {
  const i = s.id - OFFSET;
  return { name: `bench-lineage-ds-${Math.floor((i - 1) / 10) + 1}`, version: `v${((i - 1) % 10) + 1}` };
};

interface Case {
  name: string;
  starts: NodeRef[];
  /** Times one question on one backend; returns the number of nodes answered. */
  ask: (target: (typeof apps)[number], start: NodeRef) => Promise<number>;
  goal?: string;
}

const walkService =
  (direction: 'UPSTREAM' | 'DOWNSTREAM') =>
  async ({ app, name }: (typeof apps)[number], s: NodeRef) => {
    const [g] = await app.services.lineage.traverseMany(operatorAccess(), [s], { direction, depth: 10 });
    if (g!.source !== (name === 'Neo4j' ? 'neo4j' : 'postgres')) throw new Error(`${name} walk answered by ${g!.source}`);
    return g!.nodes.length;
  };
const walkHttp =
  (direction: 'UPSTREAM' | 'DOWNSTREAM') =>
  async ({ url, name }: (typeof apps)[number], s: NodeRef) => {
    const data = await postJson<{ lineage: { source: string; nodes: unknown[] } }>(`${url}/graphql`, {
      query: walkQuery,
      variables: { id: gid(s), direction },
    });
    if (data.lineage.source !== name.toUpperCase().replace('POSTGRESQL', 'POSTGRES'))
      throw new Error(`${name} walk over HTTP answered by ${data.lineage.source}`);
    return data.lineage.nodes.length;
  };
const cases: Case[] = [
  { name: 'service: UPSTREAM depth 10 from a model version', starts: pick(N.modelVersions, samples, 1).map(mv), ask: walkService('UPSTREAM') },
  { name: 'service: DOWNSTREAM depth 10 from a dataset version', starts: pick(N.datasetVersions, samples, 2).map(dv), ask: walkService('DOWNSTREAM') },
  { name: 'service: DOWNSTREAM depth 10 from a code commit', starts: pick(N.commits, samples, 3).map(commit), ask: walkService('DOWNSTREAM') },
  {
    name: 'service: model versions that used dataset X (any depth)',
    starts: pick(N.datasetVersions, samples, 4).map(dv),
    ask: async ({ app }, s) => (await app.services.incidents.impactOf(operatorAccess(), [s], {})).length,
  },
  {
    name: 'HTTP: UPSTREAM depth 10 from a model version',
    starts: pick(N.modelVersions, samples, 11).map(mv),
    ask: walkHttp('UPSTREAM'),
    goal: 'Neo4j p95 <= 10 ms',
  },
  {
    name: 'HTTP: DOWNSTREAM depth 10 from a dataset version',
    starts: pick(N.datasetVersions, samples, 12).map(dv),
    ask: walkHttp('DOWNSTREAM'),
    goal: 'Neo4j p95 <= 10 ms',
  },
  {
    name: 'HTTP: production models that used dataset X',
    starts: pick(N.datasetVersions, samples, 13).map(dv),
    ask: async ({ url }, s) => (await postJson<{ models: unknown[] }>(`${url}/graphql`, { query: modelsQuery, variables: datasetLabel(s) })).models.length,
  },
];

const results: { name: string; goal: string | null; by: Record<string, LatencyStats & { avgNodes: number }> }[] = [];
for (const c of cases) {
  const by: (typeof results)[number]['by'] = {};
  for (const target of apps) {
    let nodes = 0;
    const stats = await timeSequential(c.starts.length, async (i) => {
      nodes += await c.ask(target, c.starts[i % c.starts.length]!);
    });
    by[target.name] = { ...stats, avgNodes: Math.round(nodes / (c.starts.length + Math.min(10, c.starts.length))) };
  }
  results.push({ name: c.name, goal: c.goal ?? null, by });
  console.log(
    `  ${c.name.padEnd(58)} ${apps.map((a) => `${a.name} p50 ${fmt(by[a.name]!.p50)} / p95 ${fmt(by[a.name]!.p95)} ms`).join('   ')}  (avg ${by[apps[0]!.name]!.avgNodes} nodes)`,
  );
}

const cell = (s: LatencyStats | undefined) => (s ? `${fmt(s.p50)} / ${fmt(s.p95)}` : 'not run (NEO4J_URI unset)');
const table = [
  ['benchmark (p50 / p95 ms)', 'PostgreSQL', 'Neo4j', 'goal', 'met'],
  ...results.map((r) => {
    const neo = r.by.Neo4j;
    return [r.name, cell(r.by.PostgreSQL), cell(neo), r.goal ?? '-', r.goal ? (neo ? (neo.p95 <= 10 ? 'yes' : 'NO') : '-') : '-'];
  }),
  [
    'full projection into Neo4j (lineage:rebuild --clean)',
    '-',
    rebuildSeconds === null ? 'not timed this run' : `${fmt(rebuildSeconds, 0)} s`,
    '< 300 s',
    rebuildSeconds === null ? '-' : rebuildSeconds < 300 ? 'yes' : 'NO',
  ],
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log();
console.log(line(table[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table.slice(1)) console.log(line(row));

const rerun = `BENCH_DATABASE_URL=${databaseUrl} BENCH_SAMPLES=${samples}${neo4jEnv ? ` NEO4J_URI=${neo4jEnv.NEO4J_URI} NEO4J_USERNAME=${neo4jEnv.NEO4J_USERNAME} NEO4J_PASSWORD=...` : ''} npm run bench:lineage`;
console.log(`\nrerun: ${rerun}`);
await writeResults('lineage', { databaseUrl: databaseUrl.replace(/\/\/[^@]*@/, '//'), graph, results, rebuildSeconds, rerun });
for (const { app } of apps) await app.stop();
