// Lineage latency by depth on the 1.2M-node graph that bench/seed.ts builds (bench/lib/
// lineage-graph.ts): for each depth, the same starts as bench/lineage.ts (UPSTREAM from model
// versions, DOWNSTREAM from dataset versions), asked over HTTP GraphQL with its query.
// Read-only on that database: it is never created, built, or migrated here. When the graph or
// its rows are not all there yet (a seed still running), or the app would have to apply a
// migration, the part is skipped and says why.
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { postJson, timeSequential, type LatencyStats } from '../lib/http.js';
import { MODELS, N, OFFSET } from '../lib/lineage-graph.js';
import { type ScalingConfig, redact } from './config.js';

const COMPLETE_EDGES = 3_000_000; // as bench/lib/lineage-graph.ts counts a finished graph
const QUERY = `query($id: ID!, $direction: LineageDirection!, $depth: Int!) {
  lineage(id: $id, direction: $direction, depth: $depth) { source nodes { id type depth label } edges { from to kind } } }`;
const DIRECTIONS = [
  { direction: 'UPSTREAM', type: 'ModelVersion', n: N.modelVersions, salt: 11 },
  { direction: 'DOWNSTREAM', type: 'DatasetVersion', n: N.datasetVersions, salt: 12 },
] as const;

/** Why the graph cannot be measured yet, or null when it can. */
async function notReady(url: string): Promise<string | null> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    return `cannot connect to ${name} (${(error as Error).message}); seed it with BENCH_DATABASE_URL=${redact(url)} npm run bench:seed`;
  }
  try {
    const one = async (q: string) => Number((await client.query<{ n: string }>(q)).rows[0]?.n ?? 0);
    if (!(await one("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'lineage_edges'"))) return `${name} has no lineage_edges table yet`;
    const edges = await one(`SELECT count(*) AS n FROM lineage_edges WHERE to_id > ${OFFSET}`);
    if (edges < COMPLETE_EDGES)
      return `the lineage graph in ${name} is not built yet (${edges.toLocaleString()} of about 3.1M edges; bench/seed.ts builds it after the runs)`;
    const models = await one(`SELECT count(*) AS n FROM registered_models WHERE id > ${OFFSET}`);
    if (models < MODELS) return `the rows behind the lineage graph in ${name} are not loaded yet (bench/seed.ts adds them after the edges)`;
    const applied = new Set(
      (await client.query<{ m: string }>('SELECT migration_name AS m FROM _prisma_migrations WHERE finished_at IS NOT NULL')).rows.map((r) => r.m),
    );
    const dir = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));
    const pending = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !applied.has(d.name)).map((d) => d.name);
    if (pending.length) return `${name} lacks migrations ${pending.join(', ')}: starting the app would apply them, and this part only reads`;
    return null;
  } finally {
    await client.end();
  }
}

export interface LineagePoint {
  depth: number;
  direction: 'UPSTREAM' | 'DOWNSTREAM';
  from: string;
  stats: LatencyStats;
  avgNodes: number;
}

const pick = (n: number, count: number, salt: number) => Array.from({ length: count }, (_, i) => OFFSET + 1 + ((i * 7919 + salt * 104729) % n));
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

export async function runLineage(
  config: ScalingConfig['lineage'],
): Promise<{ skipped: string } | { points: LineagePoint[]; database: string; samples: number }> {
  const reason = await notReady(config.url);
  if (reason) return { skipped: reason };
  const app = await createApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: config.url }));
  const points: LineagePoint[] = [];
  try {
    const endpoint = `${(await app.start()).url}/graphql`;
    for (const depth of config.depths) {
      for (const { direction, type, n, salt } of DIRECTIONS) {
        // The same starts at every depth: the curve shows depth, not a different sample.
        const starts = pick(n, config.samples, salt);
        let nodes = 0;
        let asked = 0;
        const stats = await timeSequential(starts.length, async (i) => {
          const data = await postJson<{ lineage: { source: string; nodes: unknown[] } }>(endpoint, {
            query: QUERY,
            variables: { id: gid(type, starts[i % starts.length]!), direction, depth },
          });
          if (data.lineage.source !== 'POSTGRES') throw new Error(`walk answered by ${data.lineage.source}`);
          nodes += data.lineage.nodes.length;
          asked += 1;
        });
        points.push({ depth, direction, from: type, stats, avgNodes: Math.round(nodes / asked) });
        console.log(
          `  depth ${String(depth).padStart(2)} ${direction.padEnd(10)} p50 ${stats.p50.toFixed(1)} / p95 ${stats.p95.toFixed(1)} ms (avg ${Math.round(nodes / asked)} nodes)`,
        );
      }
    }
  } finally {
    await app.stop();
  }
  return { points, database: redact(config.url), samples: config.samples };
}
