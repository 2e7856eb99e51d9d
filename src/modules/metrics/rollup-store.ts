// Rollups of metric points, folded asynchronously: logBatch queues the points it inserted in
// metric_rollup_pending (a few rows per batch), and foldPending turns queued points into
// metric_rollups rows. A history read that needs the rollups of a series with queued points
// folds them first (see history.ts), so what it returns is as exact as an inline update.
import type { Sql, SqlQueryable } from '../../db/sql.js';

/** Rollup levels: a bucket of level L spans 4^L consecutive steps (16 .. 4,194,304). */
export const ROLLUP_LEVELS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
const FINEST = ROLLUP_LEVELS[0];
const COARSEST = ROLLUP_LEVELS[ROLLUP_LEVELS.length - 1];

/** Folds are serialized across processes by this transaction-level advisory lock. */
const FOLD_LOCK_KEY = 7_317_001;

/**
 * SQL for the coarsest level a series from step `first` to step `last` needs: the first one
 * at which the whole series falls into one bucket. A history read never goes past it (that
 * level always fits), so a series stores levels FINEST..topLevel and nothing above: a
 * four-step series keeps one rollup row per key instead of ten.
 */
const topLevel = (first: string, last: string) =>
  `COALESCE((SELECT min(l) FROM generate_series(${FINEST}, ${COARSEST}) l WHERE (${first} >> (2 * l)) = (${last} >> (2 * l))), ${COARSEST})`;

/**
 * One CTE per level: r2 groups the folded points (`ins`) by 16 steps, and each level above
 * groups the one below by 4, so only the first level touches every point. The extremes are
 * picked with DISTINCT ON (one sort each for min and max) rather than per-aggregate sorts.
 *
 * `span` gives each series its top level before (top_old) and after (top_new) this fold. The
 * stored top level is the highest level with a row; it holds one bucket (old_bucket) unless
 * it is the coarsest. Levels up to top_old are stored and get only the new points; a level
 * above top_old is new and must also cover the points already folded. Those are exactly
 * old_bucket, so that row joins the source of level top_old + 1, and every level above
 * inherits it. Folds are serialized (FOLD_LOCK_KEY), so the stored rows read here are the latest.
 */
function rollupCtes(): string {
  const level = (l: number, source: string, bucket: string, count: string, lowCols: string, highCols: string, lowWhere: string, highWhere: string) => {
    return `r${l} AS (
       SELECT c.run_id, c.key_id, c.bucket, c.n, lo.min_value, lo.min_step, lo.min_ts, hi.max_value, hi.max_step, hi.max_ts
       FROM (SELECT run_id, key_id, ${bucket} AS bucket, ${count} AS n FROM ${source} GROUP BY 1, 2, 3) c
       LEFT JOIN (SELECT DISTINCT ON (run_id, key_id, ${bucket}) run_id, key_id, ${bucket} AS bucket, ${lowCols} FROM ${source}
                  WHERE ${lowWhere} ORDER BY run_id, key_id, ${bucket}, 4, 5, 6) lo USING (run_id, key_id, bucket)
       LEFT JOIN (SELECT DISTINCT ON (run_id, key_id, ${bucket}) run_id, key_id, ${bucket} AS bucket, ${highCols} FROM ${source}
                  WHERE ${highWhere} ORDER BY run_id, key_id, ${bucket}, 4 DESC, 5, 6) hi USING (run_id, key_id, bucket))`;
  };
  const columns = 'bucket, n, min_value, min_step, min_ts, max_value, max_step, max_ts';
  const oldStart = 't.bucket << (2 * t.level)';
  const ctes = [
    `span AS (
       SELECT a.run_id, a.key_id, t.bucket AS old_bucket, COALESCE(t.level, ${FINEST - 1}) AS top_old,
              CASE WHEN t.level IS NULL THEN ${topLevel('a.fs', 'a.ls')}
                   ELSE GREATEST(t.level, ${topLevel(`LEAST(${oldStart}, a.fs)`, `GREATEST(${oldStart}, a.ls)`)}) END AS top_new
       FROM agg a LEFT JOIN LATERAL (
         SELECT level, bucket FROM metric_rollups r WHERE r.run_id = a.run_id AND r.key_id = a.key_id ORDER BY level DESC, bucket LIMIT 1) t ON true)`,
    level(
      FINEST,
      'ins',
      `step >> ${2 * FINEST}`,
      'count(*)',
      'value AS min_value, step AS min_step, ts AS min_ts',
      'value AS max_value, step AS max_step, ts AS max_ts',
      "value <> 'NaN'",
      "value <> 'NaN'",
    ),
  ];
  for (const l of ROLLUP_LEVELS.slice(1)) {
    ctes.push(
      `s${l} AS (
       SELECT r.run_id, r.key_id, ${columns
         .split(', ')
         .map((c) => `r.${c}`)
         .join(', ')}
       FROM r${l - 1} r JOIN span USING (run_id, key_id) WHERE span.top_new >= ${l}
       UNION ALL
       SELECT o.run_id, o.key_id, o.bucket, o.count, o.min_value, o.min_step, o.min_ts, o.max_value, o.max_step, o.max_ts
       FROM span JOIN metric_rollups o ON o.run_id = span.run_id AND o.key_id = span.key_id AND o.level = ${l - 1}
                                        AND o.bucket = span.old_bucket
       WHERE span.top_old = ${l - 1} AND span.top_new >= ${l})`,
      level(
        l,
        `s${l}`,
        'bucket >> 2',
        'sum(n)',
        'min_value, min_step, min_ts',
        'max_value, max_step, max_ts',
        'min_value IS NOT NULL',
        'max_value IS NOT NULL',
      ),
    );
  }
  return ctes.join(',\n     ');
}

// Replace the stored extreme only when the new points beat it; every expression sees the old row.
const keepExtreme = (side: 'min' | 'max', column: string) => {
  const better = side === 'min' ? '<' : '>';
  return `${side}_${column} = CASE WHEN m.${side}_value IS NULL OR EXCLUDED.${side}_value ${better} m.${side}_value THEN EXCLUDED.${side}_${column} ELSE m.${side}_${column} END`;
};

/** Takes up to $1 queued rows (of one series when $2 and $3 are set), oldest first, and folds them. */
const FOLD_SQL = `WITH taken AS (
       DELETE FROM metric_rollup_pending WHERE id IN (
         SELECT id FROM metric_rollup_pending
         WHERE ($2::int IS NULL OR (run_id = $2 AND key_id = $3)) ORDER BY id LIMIT $1)
       RETURNING run_id, key_id, steps, ts, "values"),
     ins AS (
       SELECT t.run_id, t.key_id, u.step, u.ts, u.value
       FROM taken t, unnest(t.steps, t.ts, t."values") AS u(step, ts, value)),
     agg AS (SELECT run_id, key_id, min(step) AS fs, max(step) AS ls FROM ins GROUP BY run_id, key_id),
     ${rollupCtes()},
     roll AS (
       INSERT INTO metric_rollups AS m (run_id, key_id, level, bucket, count, min_value, min_step, min_ts, max_value, max_step, max_ts)
       SELECT run_id, key_id, level, bucket, n, min_value, min_step, min_ts, max_value, max_step, max_ts
       FROM (${ROLLUP_LEVELS.map((l) => `SELECT ${l} AS level, * FROM r${l}`).join(' UNION ALL ')}) r
       ORDER BY run_id, key_id, level, bucket
       ON CONFLICT (run_id, key_id, level, bucket) DO UPDATE SET
         count = m.count + EXCLUDED.count,
         ${keepExtreme('min', 'step')}, ${keepExtreme('min', 'ts')}, ${keepExtreme('min', 'value')},
         ${keepExtreme('max', 'step')}, ${keepExtreme('max', 'ts')}, ${keepExtreme('max', 'value')}
       RETURNING 1)
     SELECT (SELECT count(*) FROM taken)::int AS rows, (SELECT count(*) FROM ins)::int AS points`;

/** The SQL that queues the points of `source` (run_id, key_id, step, ts, value) for folding: one row per series. */
export const queuePendingSql = (source: string) =>
  `INSERT INTO metric_rollup_pending (run_id, key_id, steps, ts, "values")
   SELECT run_id, key_id, array_agg(step), array_agg(ts), array_agg(value) FROM ${source} GROUP BY run_id, key_id`;

export interface FoldResult {
  /** False when another transaction held the fold lock and `wait` was false: nothing was folded. */
  locked: boolean;
  rows: number;
  points: number;
}

/**
 * Folds up to `limit` queued rows in one transaction, holding the fold lock: all of them, or
 * only those of one series. With `wait: false` it gives up at once when another fold holds
 * the lock (the background fold); a reader waits, since it needs its series folded.
 */
export async function foldPending(sql: Sql, options: { limit: number; wait: boolean; series?: { runId: number; keyId: number } }): Promise<FoldResult> {
  return sql.transaction(async (tx) => {
    // JIT off for this transaction: once metric_rollups is large, the planner's cost estimate
    // for the fold crosses jit_above_cost, and compiling its ~700 functions took 9.5 s of a
    // 9.6 s fold of 128 rows (EXPLAIN ANALYZE on a 21M-point database), so the background fold
    // fell far behind the ingest. Set with the lock, in the same round trip.
    if (options.wait) await tx.query("SELECT set_config('jit', 'off', true), pg_advisory_xact_lock($1)", [FOLD_LOCK_KEY]);
    else {
      const [got] = await tx.query<{ ok: boolean }>("SELECT set_config('jit', 'off', true), pg_try_advisory_xact_lock($1) AS ok", [FOLD_LOCK_KEY]);
      if (!got?.ok) return { locked: false, rows: 0, points: 0 };
    }
    const [answer] = await tx.query<{ rows: number; points: number }>(FOLD_SQL, [options.limit, options.series?.runId ?? null, options.series?.keyId ?? null], {
      prepareAs: 'metrics.foldPending',
    });
    return { locked: true, rows: answer?.rows ?? 0, points: answer?.points ?? 0 };
  });
}

/** Folds every queued row of one series, batch by batch, so its rollups cover all its points. */
export async function foldSeries(sql: Sql, runId: number, keyId: number): Promise<void> {
  const limit = 256;
  for (;;) {
    const { rows } = await foldPending(sql, { limit, wait: true, series: { runId, keyId } });
    if (rows < limit) return;
  }
}

/** Whether a series has points not yet folded into its rollups. */
export async function hasPending(sql: SqlQueryable, runId: number, keyId: number): Promise<boolean> {
  const rows = await sql.query('SELECT 1 FROM metric_rollup_pending WHERE run_id = $1 AND key_id = $2 LIMIT 1', [runId, keyId]);
  return rows.length > 0;
}

/** Whether any series has points not yet folded (an idle server's sweep: one indexed probe). */
export async function anyPending(sql: SqlQueryable): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM metric_rollup_pending LIMIT 1')).length > 0;
}
