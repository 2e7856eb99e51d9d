// Search latency by project size: each size has a database of its own (the base URL's name
// with the size appended, e.g. runledger_scale_search_1000000) holding one project of exactly
// that many runs, loaded resumably (search-seed.ts), vacuumed and analyzed; then the search of
// bench/run.ts is timed over HTTP GraphQL against a fresh app, beside the hand-written SQL
// doing the same work. A database per size (rather than one project grown from 10k to 1M)
// costs 11% more seeding but lets every size be measured again, in any order, at any time.
import pg from 'pg';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { applyPendingMigrations } from '../../src/db/migrate.js';
import { ensureDatabase } from '../lib/database.js';
import { postJson, timeSequential, type LatencyStats } from '../lib/http.js';
import { type ScalingConfig, redact } from './config.js';
import { HAND_WRITTEN_SEARCH, handWrittenArgs, SEARCH_FILTER, searchQuery } from '../lib/search-query.js';
import { growTo, runCount, SEARCH_PROJECT, searchProject, SHAPE } from './search-seed.js';

const QUERY = searchQuery(SEARCH_PROJECT);

export interface SearchPoint {
  runs: number;
  matching: number;
  insertedRuns: number;
  seedSeconds: number;
  vacuumAnalyzeSeconds: number;
  graphql: LatencyStats;
  sql: LatencyStats;
}

async function measure(url: string, projectId: number, keyId: number, samples: number): Promise<Pick<SearchPoint, 'graphql' | 'sql' | 'matching'>> {
  // A fresh app per size: no prepared plan or warm cache carried over from a smaller table.
  const app = await createApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: url, DATABASE_POOL_SIZE: '16' }));
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    const endpoint = `${(await app.start()).url}/graphql`;
    const graphql = await timeSequential(samples, () => postJson(endpoint, { query: QUERY, variables: { f: SEARCH_FILTER } }));
    const args = handWrittenArgs(projectId, keyId);
    const sql = await timeSequential(samples, () => pool.query(HAND_WRITTEN_SEARCH, args));
    const count = HAND_WRITTEN_SEARCH.replace('r.id, r.name', 'count(*)::int AS n').replace(/ORDER BY[\s\S]*$/, '');
    const matching = (await pool.query<{ n: number }>(count, args)).rows[0]!.n;
    return { graphql, sql, matching };
  } finally {
    await pool.end();
    await app.stop();
  }
}

/** The database of one size: the base URL's database name with the size appended. */
export function sizeUrl(base: string, size: number): string {
  const url = new URL(base);
  url.pathname = `${url.pathname}_${size}`;
  return url.toString();
}

/** Loads the project of one size (resuming) and vacuums it; returns the seeding figures. */
async function prepare(
  url: string,
  size: number,
): Promise<{ projectId: number; keyId: number; insertedRuns: number; seedSeconds: number; vacuumAnalyzeSeconds: number }> {
  await ensureDatabase(url);
  const db = await openDatabase({ kind: 'postgres', url, poolSize: SHAPE.concurrency + 1 });
  try {
    await applyPendingMigrations(db);
    const { projectId, keyIds } = await searchProject(db);
    const present = await runCount(db, projectId);
    if (present > size) throw new Error(`${SEARCH_PROJECT} in ${redact(url)} has ${present} runs, more than ${size}: drop that database`);
    const t0 = performance.now();
    const insertedRuns = await growTo(db, projectId, keyIds, size);
    const t1 = performance.now();
    // As autovacuum would eventually leave them: plans need the statistics, index-only scans the visibility map.
    await db.sql.query('VACUUM ANALYZE runs, params, tags, metric_summaries');
    return { projectId, keyId: keyIds[1]!, insertedRuns, seedSeconds: (t1 - t0) / 1000, vacuumAnalyzeSeconds: (performance.now() - t1) / 1000 };
  } finally {
    await db.close();
  }
}

export async function runSearch(config: ScalingConfig['search']): Promise<{ points: SearchPoint[]; databases: string[]; shape: typeof SHAPE; filter: string }> {
  const points: SearchPoint[] = [];
  for (const size of config.sizes) {
    const url = sizeUrl(config.url, size);
    const { projectId, keyId, ...seeding } = await prepare(url, size);
    const p: SearchPoint = { runs: size, ...seeding, ...(await measure(url, projectId, keyId, config.samples)) };
    points.push(p);
    console.log(
      `  ${size.toLocaleString()} runs: seeded ${p.insertedRuns.toLocaleString()} in ${p.seedSeconds.toFixed(1)} s, ` +
        `GraphQL p50 ${p.graphql.p50.toFixed(1)} / p95 ${p.graphql.p95.toFixed(1)} ms`,
    );
  }
  return { points, databases: config.sizes.map((size) => redact(sizeUrl(config.url, size))), shape: SHAPE, filter: SEARCH_FILTER };
}
