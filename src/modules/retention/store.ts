// SQL of retention: which runs of a project are due for soft deletion, purge or downsampling,
// what downsampling would remove, and the purge itself. Kept here because each is a set-based
// statement over thousands of rows, which Prisma would turn into a query per run.
import type { SqlQueryable } from '../../db/sql.js';

export interface CandidateRun {
  id: number;
  name: string;
  startedAt: Date;
  deletedAt: Date | null;
}

/** The tag that keeps a run from retention: runledger.pinned = true. */
export const PIN_TAG = 'runledger.pinned';

const NOT_PINNED = `NOT EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.id AND t.key = '${PIN_TAG}' AND lower(t.value) IN ('true', '1', 'yes'))`;
const COLUMNS = 'r.id, r.name, r.started_at AS "startedAt", r.deleted_at AS "deletedAt"';

/** Live, ended runs of a project started before `before`, not pinned. */
export async function runsToDelete(sql: SqlQueryable, projectId: number, before: Date, limit: number): Promise<CandidateRun[]> {
  return sql.query<CandidateRun>(
    `SELECT ${COLUMNS} FROM runs r
     WHERE r.project_id = $1 AND r.deleted_at IS NULL AND r.status <> 'RUNNING' AND r.started_at < $2 AND ${NOT_PINNED}
     ORDER BY r.id LIMIT $3`,
    [projectId, before.toISOString(), limit],
  );
}

/** Runs of a project soft-deleted before `before` (by anyone) and not purged yet, not pinned. */
export async function runsToPurge(sql: SqlQueryable, projectId: number, before: Date, limit: number): Promise<CandidateRun[]> {
  return sql.query<CandidateRun>(
    `SELECT ${COLUMNS} FROM runs r LEFT JOIN run_retention rr ON rr.run_id = r.id
     WHERE r.project_id = $1 AND r.deleted_at IS NOT NULL AND r.deleted_at < $2 AND rr.purged_at IS NULL AND ${NOT_PINNED}
     ORDER BY r.id LIMIT $3`,
    [projectId, before.toISOString(), limit],
  );
}

/** Ended runs of a project whose end came before `before`, with metric points, not yet downsampled or purged, not pinned. */
export async function runsToDownsample(sql: SqlQueryable, projectId: number, before: Date, limit: number): Promise<CandidateRun[]> {
  return sql.query<CandidateRun>(
    `SELECT ${COLUMNS} FROM runs r LEFT JOIN run_retention rr ON rr.run_id = r.id
     WHERE r.project_id = $1 AND r.status <> 'RUNNING' AND coalesce(r.ended_at, r.started_at) < $2
       AND rr.downsampled_at IS NULL AND rr.purged_at IS NULL AND ${NOT_PINNED}
       AND EXISTS (SELECT 1 FROM metric_summaries s WHERE s.run_id = r.id AND s.count > 2)
     ORDER BY r.id LIMIT $3`,
    [projectId, before.toISOString(), limit],
  );
}

/** Series of these runs with points not folded into their rollups yet. */
export async function pendingSeries(sql: SqlQueryable, runIds: readonly number[]): Promise<{ runId: number; keyId: number }[]> {
  if (runIds.length === 0) return [];
  return sql.query('SELECT DISTINCT run_id AS "runId", key_id AS "keyId" FROM metric_rollup_pending WHERE run_id = ANY($1::int[])', [runIds]);
}

// A point survives downsampling when it is the lowest or highest of its 16-step rollup bucket
// (the finest level, so every later read from rollups is exact) or the latest of its series.
const REMOVABLE_POINT = `NOT EXISTS (SELECT 1 FROM metric_rollups r WHERE r.run_id = p.run_id AND r.key_id = p.key_id AND r.level = 2 AND r.bucket = (p.step >> 4)
                  AND ((r.min_step = p.step AND r.min_ts = p.ts) OR (r.max_step = p.step AND r.max_ts = p.ts)))
  AND NOT EXISTS (SELECT 1 FROM metric_summaries s WHERE s.run_id = p.run_id AND s.key_id = p.key_id AND s.last_step = p.step AND s.last_ts = p.ts)`;
const REMOVABLE = `p.run_id = ANY($1::int[]) AND ${REMOVABLE_POINT}`;

/** Per run, the points downsampling would remove and the points it has (their series must be folded). */
export async function downsampleCounts(sql: SqlQueryable, runIds: readonly number[]): Promise<Map<number, { points: number; removable: number }>> {
  if (runIds.length === 0) return new Map();
  const rows = await sql.query<{ run_id: number; points: number; removable: number }>(
    `SELECT p.run_id, count(*)::bigint AS points, count(*) FILTER (WHERE ${REMOVABLE_POINT})::bigint AS removable
     FROM metric_points p WHERE p.run_id = ANY($1::int[]) GROUP BY p.run_id`,
    [runIds],
  );
  return new Map(rows.map((r) => [r.run_id, { points: Number(r.points), removable: Number(r.removable) }]));
}

/** Removes what downsampling removes from these runs (their series must be folded); returns the points removed. */
export async function downsample(sql: SqlQueryable, runIds: readonly number[]): Promise<number> {
  if (runIds.length === 0) return 0;
  const [row] = await sql.query<{ n: number }>(
    `WITH gone AS (DELETE FROM metric_points p WHERE ${REMOVABLE} RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    [runIds],
  );
  return Number(row?.n ?? 0);
}

/**
 * Purges runs: their params, tags, metric data, batch receipts and artifact rows go; the run row,
 * its code version, its inputs and its lineage edges stay as a tombstone (lineage is append-only).
 * Returns the artifacts removed (digest and size), whose bytes may now be unreferenced.
 */
export async function purgeRuns(sql: SqlQueryable, runIds: readonly number[]): Promise<{ digest: string; sizeBytes: number }[]> {
  if (runIds.length === 0) return [];
  for (const table of ['metric_points', 'metric_rollups', 'metric_rollup_pending', 'metric_summaries', 'batch_receipts', 'params', 'tags']) {
    await sql.query(`DELETE FROM ${table} WHERE run_id = ANY($1::int[])`, [runIds]);
  }
  await sql.query('UPDATE run_code_versions SET diff_artifact_id = NULL WHERE run_id = ANY($1::int[])', [runIds]);
  return sql.query<{ digest: string; sizeBytes: number }>('DELETE FROM artifacts WHERE run_id = ANY($1::int[]) RETURNING digest, size_bytes AS "sizeBytes"', [
    runIds,
  ]);
}

/** The artifacts of these runs, by digest: what purging them would remove. */
export async function artifactsOfRuns(sql: SqlQueryable, runIds: readonly number[]): Promise<{ digest: string; sizeBytes: number }[]> {
  if (runIds.length === 0) return [];
  return sql.query('SELECT digest, size_bytes AS "sizeBytes" FROM artifacts WHERE run_id = ANY($1::int[])', [runIds]);
}

/** Of these digests, those no artifact row of a run outside `except` refers to. */
export async function unreferencedDigests(sql: SqlQueryable, digests: readonly string[], except: readonly number[] = []): Promise<string[]> {
  if (digests.length === 0) return [];
  const rows = await sql.query<{ digest: string }>(
    `SELECT d AS digest FROM unnest($1::text[]) d
     WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.digest = d AND NOT (a.run_id = ANY($2::int[])))`,
    [[...new Set(digests)], except],
  );
  return rows.map((r) => r.digest);
}

/** Records what retention did to runs (one row per run, kept across passes). */
export async function markRuns(
  sql: SqlQueryable,
  runIds: readonly number[],
  column: 'soft_deleted_at' | 'downsampled_at' | 'purged_at',
  at: Date,
  planId: number,
): Promise<void> {
  if (runIds.length === 0) return;
  await sql.query(
    `INSERT INTO run_retention (run_id, ${column}, plan_id) SELECT id, $2::timestamptz, $3 FROM unnest($1::int[]) id
     ON CONFLICT (run_id) DO UPDATE SET ${column} = excluded.${column}, plan_id = excluded.plan_id`,
    [runIds, at.toISOString(), planId],
  );
}

/** Marks runs deleted (those not deleted already) at `now`. */
export async function softDeleteRuns(tx: SqlQueryable, runIds: readonly number[], now: Date): Promise<void> {
  await tx.query('UPDATE runs SET deleted_at = $2 WHERE id = ANY($1::int[]) AND deleted_at IS NULL', [runIds, now.toISOString()]);
}
