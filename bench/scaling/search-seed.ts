// Loads one project with N runs and only what run search reads: the run rows, 5 params, 3 tags
// and the latest value of 5 metrics (metric_summaries, as ingest leaves them after a one-point
// series; no metric_points, which search never touches). Values follow bench/seed.ts's
// formulas, so the benchmark filter matches the same share of runs (1 in 30 before the
// metric comparison). Each chunk of runs is one set-based statement, all or nothing: a rerun
// loads only the runs still missing.
import { operatorAccess } from '../../src/modules/auth/access.js';
import type { Database } from '../../src/db/database.js';
import { MetricKeyCache } from '../../src/modules/metrics/store.js';
import { createProjectService } from '../../src/modules/projects/service.js';
import { progressBar } from '../lib/progress.js';

export const SEARCH_PROJECT = 'scale-search';
export const SHAPE = { params: 5, tags: 3, metricKeys: 5, chunk: 10_000, concurrency: 2 };

const list = (xs: readonly (string | number)[]) => `ARRAY[${xs.map((x) => (typeof x === 'number' ? x : `'${x}'`)).join(', ')}]`;
const STATUSES = list(['FINISHED', 'FINISHED', 'FINISHED', 'FAILED', 'KILLED', 'RUNNING']);
const USERS = list(['ana', 'bo', 'cy', 'dee', 'eli', 'fay', 'gus', 'hal', 'ivy', 'jo', 'kai', 'lu']);
const LRS = list(['0.0001', '0.0003', '0.001', '0.003', '0.01', '0.03']);
const OPTIMIZERS = list(['adam', 'adamw', 'sgd', 'lion']);
const TEAMS = list(['recs', 'search', 'ads', 'fraud', 'growth']);

// $1 project, $2..$3 run indexes [from, to), $4 metric key ids (m00, m01, ...).
const CHUNK_SQL = `
WITH r AS (
  INSERT INTO runs (project_id, client_run_id, name, status, "user", run_group, gpu_count, environment, started_at, ended_at, updated_at)
  SELECT $1, 'scale-' || i, 'run-' || i, s::"RunStatus", (${USERS})[i % 12 + 1], 'sweep-' || (i / 50), g,
         jsonb_build_object('hardware', jsonb_build_object('gpus', g), 'python', '3.11'), st,
         CASE WHEN s = 'RUNNING' THEN NULL ELSE st + (i % 2880) * interval '1 minute' END, now()
  FROM generate_series($2::int, $3::int - 1) i
  CROSS JOIN LATERAL (SELECT (${STATUSES})[i % 6 + 1] AS s, (ARRAY[0, 1, 2, 4, 8])[i % 5 + 1] AS g,
                             timestamptz '2026-05-01T00:00:00Z' + ((i::bigint * 7919) % 180) * interval '1 day' + (i % 1440) * interval '1 minute' AS st) x
  RETURNING id, substr(client_run_id, 7)::int AS i, started_at
), p AS (
  INSERT INTO params (run_id, key, value)
  SELECT r.id, 'p' || lpad(k::text, 2, '0'),
         CASE k WHEN 0 THEN (${LRS})[r.i % 6 + 1] WHEN 1 THEN (${OPTIMIZERS})[r.i % 4 + 1] ELSE 'v' || (r.i::bigint * (k + 3)) % (5 + k * 3) END
  FROM r CROSS JOIN generate_series(0, ${SHAPE.params - 1}) k
  RETURNING 1
), t AS (
  INSERT INTO tags (run_id, key, value)
  SELECT r.id, 't' || lpad(k::text, 2, '0'), CASE k WHEN 0 THEN (${TEAMS})[r.i % 5 + 1] ELSE 't' || (r.i::bigint * (k + 7)) % (3 + k) END
  FROM r CROSS JOIN generate_series(0, ${SHAPE.tags - 1}) k
  RETURNING 1
), m AS (
  -- Metric k (1-based) is uniform on [0, k), as bench/seed.ts's random() * (k + 1).
  INSERT INTO metric_summaries (run_id, key_id, last_value, last_step, last_ts, first_step, min_value, max_value, count)
  SELECT r.id, key.id, v, 0, r.started_at, 0, v, v, 1
  FROM r CROSS JOIN unnest($4::int[]) WITH ORDINALITY AS key(id, k)
  CROSS JOIN LATERAL (SELECT ((r.i::bigint * 2654435761 + key.k * 40503) % 2147483647)::float8 / 2147483647 * key.k AS v) x
  RETURNING 1
)
SELECT count(*)::int AS n FROM r`;

export async function searchProject(db: Database): Promise<{ projectId: number; keyIds: number[] }> {
  const { project } = await createProjectService(db).create(operatorAccess(), { name: SEARCH_PROJECT, description: 'bench:scaling search workload' });
  const names = Array.from({ length: SHAPE.metricKeys }, (_, k) => `m${String(k).padStart(2, '0')}`);
  const ids = await new MetricKeyCache().idsFor(db.sql, names);
  return { projectId: project.id, keyIds: names.map((n) => ids.get(n)!) };
}

export async function runCount(db: Database, projectId: number): Promise<number> {
  return (await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM runs WHERE project_id = $1', [projectId]))[0]!.n;
}

/**
 * Loads the missing runs up to `size`; returns how many it inserted. Chunk c holds run indexes
 * [c * chunk, (c + 1) * chunk) and is filled from its start, so its count says what it lacks
 * (a chunk cut short by an earlier, smaller size is completed, not skipped).
 */
export async function growTo(db: Database, projectId: number, keyIds: number[], size: number): Promise<number> {
  const have = new Map(
    (
      await db.sql.query<{ c: number; n: number }>(
        `SELECT substr(client_run_id, 7)::int / ${SHAPE.chunk} AS c, count(*)::int AS n FROM runs WHERE project_id = $1 GROUP BY 1`,
        [projectId],
      )
    ).map((r) => [r.c, r.n]),
  );
  const todo: { from: number; to: number }[] = [];
  for (let c = 0; c * SHAPE.chunk < size; c += 1) {
    const from = c * SHAPE.chunk + (have.get(c) ?? 0);
    const to = Math.min((c + 1) * SHAPE.chunk, size);
    if (from < to) todo.push({ from, to });
  }
  const bar = progressBar(`seed ${size.toLocaleString()} runs`, todo.length);
  let done = 0;
  let inserted = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: SHAPE.concurrency }, async () => {
      for (let c = next++; c < todo.length; c = next++) {
        const { from, to } = todo[c]!;
        const [row] = await db.sql.query<{ n: number }>(CHUNK_SQL, [projectId, from, to, keyIds]);
        inserted += row!.n; // read after the await: `inserted += await ...` would drop the other worker's additions
        bar.update((done += 1), 'chunks');
      }
    }),
  );
  bar.update(todo.length, 'chunks');
  return inserted;
}
