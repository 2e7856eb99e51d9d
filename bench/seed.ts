// Deterministic, resumable workload for the benchmarks: 100,000 runs across 20 projects
// (half in bench-00, the project the search benchmark queries), 20 params and 10 tags per
// run, 50 metric keys, 20,000,000 metric points, plus one 1,000,000-point series; then the
// lineage workload (bench/lib/lineage-graph.ts): 200,000 dataset versions in families of
// derived versions, 400,000 artifacts, 500 registered models with 130,000 versions and their
// alias histories, and the 1.2M-node lineage graph joining them.
// Runs are loaded in chunks of 50, each in one transaction through the service's bulk
// insert (insertPoints) and then folded into the rollups, so an interrupted seed resumes at
// the first missing chunk (a chunk whose fold was interrupted stays queued and is folded next).
//   npm run bench:seed                 (BENCH_DATABASE_URL, default runledger_bench on the local server, created if missing)
//   BENCH_RUNS=10000 npm run bench:seed   (a smaller workload)
import { operatorAccess } from '../src/modules/auth/access.js';
import { loadConfig } from '../src/config.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { applyPendingMigrations } from '../src/db/migrate.js';
import { foldPending } from '../src/modules/metrics/rollup-store.js';
import { MetricKeyCache, insertPoints, type PointRow } from '../src/modules/metrics/store.js';
import { createProjectService } from '../src/modules/projects/service.js';
import { benchDatabaseUrl, ensureDatabase } from './lib/database.js';
import { buildLineageGraph } from './lib/lineage-graph.js';
import { progressBar, prng } from './lib/progress.js';

export const SEED = {
  runs: Number(process.env.BENCH_RUNS ?? 100_000),
  projects: 20,
  params: 20,
  tags: 10,
  metricKeys: 50,
  stepsPerKey: 4, // 50 keys x 4 steps = 200 points per run: 20M points for 100k runs
  longSeries: 1_000_000,
  chunk: 50,
  concurrency: 3,
};
export const BIG_PROJECT = 'bench-00';
export const LONG_SERIES_RUN = 'long-series';
const users = ['ana', 'bo', 'cy', 'dee', 'eli', 'fay', 'gus', 'hal', 'ivy', 'jo', 'kai', 'lu'];
const statuses = ['FINISHED', 'FINISHED', 'FINISHED', 'FAILED', 'KILLED', 'RUNNING'];
const lrs = ['0.0001', '0.0003', '0.001', '0.003', '0.01', '0.03'];
const optimizers = ['adam', 'adamw', 'sgd', 'lion'];
const teams = ['recs', 'search', 'ads', 'fraud', 'growth'];
const base = Date.parse('2026-05-01T00:00:00Z');

export function paramValue(run: number, p: number): string {
  if (p === 0) return lrs[run % lrs.length]!;
  if (p === 1) return optimizers[run % optimizers.length]!;
  return `v${(run * (p + 3)) % (5 + p * 3)}`;
}

export function tagValue(run: number, t: number): string {
  return t === 0 ? teams[run % teams.length]! : `t${(run * (t + 7)) % (3 + t)}`;
}

/** How many runs each project gets: half in bench-00, the rest spread evenly. */
export function projectSizes(total: number): number[] {
  const big = Math.floor(total / 2);
  const rest = total - big;
  const each = Math.floor(rest / (SEED.projects - 1));
  return Array.from({ length: SEED.projects }, (_, i) => (i === 0 ? big : i === SEED.projects - 1 ? rest - each * (SEED.projects - 2) : each));
}

export async function seed(databaseUrl: string): Promise<void> {
  await ensureDatabase(databaseUrl);
  const db = await openDatabase({ kind: 'postgres', url: databaseUrl, poolSize: 4 });
  try {
    await applyPendingMigrations(db);
    const projects = createProjectService(db);
    const keys = new MetricKeyCache();
    const keyIds = await keys.idsFor(
      db.sql,
      Array.from({ length: SEED.metricKeys }, (_, k) => `m${String(k).padStart(2, '0')}`),
    );
    const keyIdList = [...keyIds.values()];
    // The long series first: the history benchmark needs it, and it is the quickest part.
    await seedLongSeries(db, keyIds.get('m00')!);
    const sizes = projectSizes(SEED.runs);
    const bar = progressBar('seed runs', SEED.runs);
    // Every chunk of runs is one transaction, so a chunk is either all there or not at all:
    // a rerun skips the chunks whose first run exists, whatever order they finished in.
    const chunks: { projectId: number; indexes: number[] }[] = [];
    let globalIndex = 0;
    for (let p = 0; p < SEED.projects; p += 1) {
      const name = `bench-${String(p).padStart(2, '0')}`;
      const { project } = await projects.create(operatorAccess(), { name, description: 'benchmark workload' });
      const size = sizes[p]!;
      for (let start = 0; start < size; start += SEED.chunk) {
        const count = Math.min(SEED.chunk, size - start);
        chunks.push({ projectId: project.id, indexes: Array.from({ length: count }, (_, i) => globalIndex + start + i) });
      }
      globalIndex += size;
    }
    const loaded = new Set((await db.sql.query<{ cid: string }>("SELECT client_run_id AS cid FROM runs WHERE client_run_id LIKE 'seed-%'")).map((r) => r.cid));
    let done = 0;
    const report = (count: number) => {
      done += count;
      bar.update(done, `(${((done * SEED.metricKeys * SEED.stepsPerKey) / 1e6).toFixed(1)}M points)`);
    };
    let next = 0;
    // A few chunks in flight keep both the database and this process busy.
    await Promise.all(
      Array.from({ length: SEED.concurrency }, async () => {
        for (let c = next++; c < chunks.length; c = next++) {
          const { projectId, indexes } = chunks[c]!;
          if (!loaded.has(`seed-${indexes[0]}`)) await seedChunk(db, projectId, indexes, keyIdList);
          report(indexes.length);
        }
      }),
    );
    bar.update(SEED.runs);
    // Datasets with derived versions, artifacts, 500 registered models with alias histories,
    // and the lineage graph joining them (1.2M nodes).
    await buildLineageGraph(db.sql);
    // Fresh statistics and visibility maps, as autovacuum would eventually leave them: plans
    // depend on the statistics, and index-only scans on the visibility map.
    await db.sql.query('VACUUM ANALYZE');
  } finally {
    await db.close();
  }
}

export async function seedChunk(db: Database, projectId: number, indexes: number[], keyIdList: number[]): Promise<void> {
  await db.sql.transaction(async (tx) => {
    const random = prng(indexes[0]!);
    const started = indexes.map((i) => new Date(base + ((i * 7919) % 180) * 86_400_000 + (i % 1440) * 60_000));
    const hours = indexes.map(() => 0.1 + random() * 48);
    const status = indexes.map((i) => statuses[i % statuses.length]!);
    const rows = await tx.query<{ id: number; cid: string }>(
      `INSERT INTO runs (project_id, client_run_id, name, status, "user", run_group, gpu_count, environment, started_at, ended_at, updated_at)
       SELECT $1, 'seed-' || i, 'run-' || i, s::"RunStatus", u, 'sweep-' || (i / 50), g,
              jsonb_build_object('hardware', jsonb_build_object('gpus', g), 'python', '3.11'), st,
              CASE WHEN s = 'RUNNING' THEN NULL ELSE st + make_interval(secs => h * 3600) END, now()
       FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::float8[]) AS x(i, s, u, g, st, h)
       RETURNING id, client_run_id AS cid`,
      [projectId, indexes, status, indexes.map((i) => users[i % users.length]!), indexes.map((i) => [0, 1, 2, 4, 8][i % 5]!), started, hours],
    );
    const idOf = new Map(rows.map((r) => [r.cid, r.id]));
    const runIds = indexes.map((i) => idOf.get(`seed-${i}`)!);
    const kv = (n: number, value: (run: number, k: number) => string, prefix: string) => {
      const ids: number[] = [];
      const names: string[] = [];
      const values: string[] = [];
      indexes.forEach((i, j) => {
        for (let k = 0; k < n; k += 1) {
          ids.push(runIds[j]!);
          names.push(`${prefix}${String(k).padStart(2, '0')}`);
          values.push(value(i, k));
        }
      });
      return [ids, names, values];
    };
    await tx.query('INSERT INTO params (run_id, key, value) SELECT * FROM unnest($1::int[], $2::text[], $3::text[])', kv(SEED.params, paramValue, 'p'));
    await tx.query('INSERT INTO tags (run_id, key, value) SELECT * FROM unnest($1::int[], $2::text[], $3::text[])', kv(SEED.tags, tagValue, 't'));
    const points: PointRow[] = [];
    runIds.forEach((runId, j) => {
      const t0 = started[j]!.getTime();
      keyIdList.forEach((keyId, k) => {
        for (let step = 0; step < SEED.stepsPerKey; step += 1) {
          points.push({ runId, keyId, step, ts: new Date(t0 + step * 60_000 + k), value: random() * (k + 1) });
        }
      });
    });
    await insertPoints(tx, points);
  });
  await foldQueued(db);
}

/** The seed folds its own points into the rollups (a service would do it in the background). */
export async function foldQueued(db: Database): Promise<void> {
  const limit = 1024;
  while ((await foldPending(db.sql, { limit, wait: true })).rows === limit);
}

export async function seedLongSeries(db: Database, keyId: number): Promise<void> {
  const projects = createProjectService(db);
  const { project } = await projects.create(operatorAccess(), { name: BIG_PROJECT });
  let run = (await db.sql.query<{ id: number }>('SELECT id FROM runs WHERE project_id = $1 AND client_run_id = $2', [project.id, LONG_SERIES_RUN]))[0];
  if (!run) {
    run = (
      await db.sql.query<{ id: number }>(`INSERT INTO runs (project_id, client_run_id, name, updated_at) VALUES ($1, $2, $2, now()) RETURNING id`, [
        project.id,
        LONG_SERIES_RUN,
      ])
    )[0]!;
  }
  const have = (
    await db.sql.query<{ n: number }>('SELECT coalesce(max(step) + 1, 0)::int8 AS n FROM metric_points WHERE run_id = $1 AND key_id = $2', [run.id, keyId])
  )[0]!.n;
  const bar = progressBar('seed 1M-point series', SEED.longSeries);
  const random = prng(42);
  const t0 = Date.parse('2026-09-01T00:00:00Z');
  for (let start = have; start < SEED.longSeries; start += 10_000) {
    const points: PointRow[] = [];
    for (let step = start; step < Math.min(start + 10_000, SEED.longSeries); step += 1) {
      points.push({ runId: run.id, keyId, step, ts: new Date(t0 + step * 1000), value: Math.exp(-step / 300_000) + random() * 0.05 });
    }
    await db.sql.transaction((tx) => insertPoints(tx, points));
    await foldQueued(db);
    bar.update(Math.min(start + 10_000, SEED.longSeries));
  }
  bar.update(SEED.longSeries);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = benchDatabaseUrl();
  loadConfig({ DATABASE_URL: url }); // validates the URL
  const started = performance.now();
  await seed(url);
  console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s; rerun: BENCH_DATABASE_URL=${url} npm run bench:seed`);
}
