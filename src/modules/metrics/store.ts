// Bulk SQL for metric points: one statement per batch for points and their summaries.
import type { SqlQueryable } from '../../db/sql.js';

export interface PointRow {
  runId: number;
  keyId: number;
  step: number;
  ts: Date;
  value: number;
}

export interface StoredPoint {
  key: string;
  step: number;
  timestamp: Date;
  value: number;
}

/**
 * Interned metric key ids never change, so each service caches them for its database.
 * Keys are interned outside the ingest transaction: a rolled-back batch must not leave
 * the cache holding an id that was never committed.
 */
export class MetricKeyCache {
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<number, string>();

  async idsFor(sql: SqlQueryable, names: readonly string[]): Promise<Map<string, number>> {
    const missing = names.filter((n) => !this.ids.has(n));
    if (missing.length) {
      const rows = await sql.query<{ id: number; name: string }>(
        `WITH wanted AS (SELECT DISTINCT unnest($1::text[]) AS name),
              added AS (INSERT INTO metric_keys (name) SELECT name FROM wanted ORDER BY name
                        ON CONFLICT (name) DO NOTHING RETURNING id, name)
         SELECT id, name FROM added
         UNION ALL SELECT k.id, k.name FROM metric_keys k JOIN wanted w ON w.name = k.name`,
        [missing],
      );
      for (const row of rows) this.remember(row.id, row.name);
      // A name committed by a concurrent writer after this statement began is skipped by
      // ON CONFLICT yet invisible to its snapshot; a fresh statement sees it.
      const late = missing.filter((n) => !this.ids.has(n));
      if (late.length) {
        const more = await sql.query<{ id: number; name: string }>('SELECT id, name FROM metric_keys WHERE name = ANY($1::text[])', [late]);
        for (const row of more) this.remember(row.id, row.name);
      }
    }
    return new Map(names.map((n) => [n, this.ids.get(n)!]));
  }

  async existingId(sql: SqlQueryable, name: string): Promise<number | null> {
    if (!this.ids.has(name)) {
      const rows = await sql.query<{ id: number }>('SELECT id FROM metric_keys WHERE name = $1', [name]);
      if (!rows[0]) return null;
      this.remember(rows[0].id, name);
    }
    return this.ids.get(name)!;
  }

  /** Ids of the names that exist, in one statement for those not cached; creates nothing. */
  async existingIds(sql: SqlQueryable, names: readonly string[]): Promise<Map<string, number>> {
    const missing = [...new Set(names)].filter((n) => !this.ids.has(n));
    if (missing.length) {
      const rows = await sql.query<{ id: number; name: string }>('SELECT id, name FROM metric_keys WHERE name = ANY($1::text[])', [missing]);
      for (const row of rows) this.remember(row.id, row.name);
    }
    const found = new Map<string, number>();
    for (const name of names) {
      const id = this.ids.get(name);
      if (id !== undefined) found.set(name, id);
    }
    return found;
  }

  nameOf(id: number): string | undefined {
    return this.names.get(id);
  }

  private remember(id: number, name: string) {
    this.ids.set(name, id);
    this.names.set(id, name);
  }
}

/** Rollup levels: a bucket of level L spans 4^L consecutive steps (16 .. 4,194,304). */
export const ROLLUP_LEVELS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;

/**
 * One CTE per level: r2 groups the inserted points by 16 steps, and each level above groups
 * the one below by 4, so only the first level touches every point. The extremes are picked
 * with DISTINCT ON (one sort each for min and max) rather than per-aggregate sorts.
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
  const [first, ...rest] = ROLLUP_LEVELS;
  const ctes = [
    level(
      first,
      'ins',
      `step >> ${2 * first}`,
      'count(*)',
      'value AS min_value, step AS min_step, ts AS min_ts',
      'value AS max_value, step AS max_step, ts AS max_ts',
      "value <> 'NaN'",
      "value <> 'NaN'",
    ),
  ];
  let below: number = first;
  for (const l of rest) {
    ctes.push(
      level(l, `r${below}`, `bucket >> ${2 * (l - below)}`, 'sum(n)', 'min_value, min_step, min_ts', 'max_value, max_step, max_ts', 'min_value IS NOT NULL', 'max_value IS NOT NULL'),
    );
    below = l;
  }
  return ctes.join(',\n     ');
}

const ROLLUP_CTES = rollupCtes();

const pickExtreme = (column: string, order: 'ASC' | 'DESC') =>
  `(array_agg(${column} ORDER BY value ${order}, step, ts) FILTER (WHERE value <> 'NaN'))[1]`;
// Replace the stored extreme only when the new batch beats it; every expression sees the old row.
const keepExtreme = (side: 'min' | 'max', column: string) => {
  const better = side === 'min' ? '<' : '>';
  return `${side}_${column} = CASE WHEN m.${side}_value IS NULL OR EXCLUDED.${side}_value ${better} m.${side}_value THEN EXCLUDED.${side}_${column} ELSE m.${side}_${column} END`;
};

/**
 * Inserts points (a repeated (run, key, step, timestamp) is skipped) and folds the inserted
 * ones into metric_summaries and metric_rollups, in one statement. Returns the points
 * actually inserted. Aggregates are upserted in (run, key) order so concurrent batches lock
 * rows in the same order. Points may belong to several runs (the seed loads many at once).
 */
export async function insertPoints(sql: SqlQueryable, points: readonly PointRow[]): Promise<PointRow[]> {
  if (points.length === 0) return [];
  const rows = await sql.query<PointRow>(
    `WITH ins AS (
       INSERT INTO metric_points (run_id, key_id, step, ts, value)
       SELECT * FROM unnest($1::int[], $2::int[], $3::int8[], $4::timestamptz[], $5::float8[])
       ON CONFLICT DO NOTHING
       RETURNING run_id, key_id, step, ts, value),
     agg AS (
       SELECT run_id, key_id, count(*) AS n,
              min(value) FILTER (WHERE value <> 'NaN') AS mn, max(value) FILTER (WHERE value <> 'NaN') AS mx,
              (array_agg(value ORDER BY step DESC, ts DESC))[1] AS lv,
              (array_agg(step ORDER BY step DESC, ts DESC))[1] AS ls,
              (array_agg(ts ORDER BY step DESC, ts DESC))[1] AS lt
       FROM ins GROUP BY run_id, key_id),
     upd AS (
       INSERT INTO metric_summaries AS s (run_id, key_id, last_value, last_step, last_ts, min_value, max_value, count)
       SELECT run_id, key_id, lv, ls, lt, mn, mx, n FROM agg ORDER BY run_id, key_id
       ON CONFLICT (run_id, key_id) DO UPDATE SET
         count = s.count + EXCLUDED.count,
         min_value = LEAST(s.min_value, EXCLUDED.min_value),
         max_value = GREATEST(s.max_value, EXCLUDED.max_value),
         last_value = CASE WHEN (EXCLUDED.last_step, EXCLUDED.last_ts) >= (s.last_step, s.last_ts) THEN EXCLUDED.last_value ELSE s.last_value END,
         last_ts = CASE WHEN (EXCLUDED.last_step, EXCLUDED.last_ts) >= (s.last_step, s.last_ts) THEN EXCLUDED.last_ts ELSE s.last_ts END,
         last_step = GREATEST(s.last_step, EXCLUDED.last_step)
       RETURNING 1),
     ${ROLLUP_CTES},
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
     SELECT run_id AS "runId", key_id AS "keyId", step, ts, value FROM ins`,
    [points.map((p) => p.runId), points.map((p) => p.keyId), points.map((p) => p.step), points.map((p) => p.ts), points.map((p) => p.value)],
  );
  return rows;
}

export interface SummaryRow {
  runId: number;
  key: string;
  lastValue: number;
  lastStep: number;
  lastTimestamp: Date;
  min: number | null;
  max: number | null;
  count: number;
}

export async function summariesForRuns(sql: SqlQueryable, runIds: readonly number[]): Promise<SummaryRow[]> {
  return sql.query<SummaryRow>(
    `SELECT s.run_id AS "runId", k.name AS key, s.last_value AS "lastValue", s.last_step AS "lastStep",
            s.last_ts AS "lastTimestamp", s.min_value AS min, s.max_value AS max, s.count
     FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id
     WHERE s.run_id = ANY($1::int[]) ORDER BY s.run_id, k.name`,
    [runIds],
  );
}

export interface HistoryRange {
  runId: number;
  keyId: number;
  fromStep: number | null;
  toStep: number | null;
}

function rangeWhere(range: HistoryRange): { where: string; params: unknown[] } {
  return {
    where: `run_id = $1 AND key_id = $2 AND ($3::int8 IS NULL OR step >= $3) AND ($4::int8 IS NULL OR step <= $4)`,
    params: [range.runId, range.keyId, range.fromStep, range.toStep],
  };
}

/** Counts the points in the range, but stops at `limit`: enough to decide whether to sample. */
export async function countPointsUpTo(sql: SqlQueryable, range: HistoryRange, limit: number): Promise<number> {
  const { where, params } = rangeWhere(range);
  const rows = await sql.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM (SELECT 1 FROM metric_points WHERE ${where} LIMIT $5) p`, [
    ...params,
    limit,
  ]);
  return rows[0]?.n ?? 0;
}

/** First and last step of a series, read from the two ends of the primary key. */
export async function seriesBounds(sql: SqlQueryable, runId: number, keyId: number): Promise<{ first: number; last: number } | null> {
  const rows = await sql.query<{ first: number | null; last: number | null }>(
    `SELECT (SELECT step FROM metric_points WHERE run_id = $1 AND key_id = $2 ORDER BY step ASC LIMIT 1) AS first,
            (SELECT step FROM metric_points WHERE run_id = $1 AND key_id = $2 ORDER BY step DESC LIMIT 1) AS last`,
    [runId, keyId],
  );
  const row = rows[0];
  return row && row.first !== null && row.last !== null ? { first: row.first, last: row.last } : null;
}

export interface BucketExtremes {
  count: number;
  minValue: number | null;
  minStep: number | null;
  minTs: Date | null;
  maxValue: number | null;
  maxStep: number | null;
  maxTs: Date | null;
}

/** Precomputed extremes of buckets fromBucket..toBucket at one rollup level, in step order. */
export async function rollupBuckets(
  sql: SqlQueryable,
  runId: number,
  keyId: number,
  level: number,
  fromBucket: number,
  toBucket: number,
): Promise<BucketExtremes[]> {
  return sql.query<BucketExtremes>(
    `SELECT count, min_value AS "minValue", min_step AS "minStep", min_ts AS "minTs",
            max_value AS "maxValue", max_step AS "maxStep", max_ts AS "maxTs"
     FROM metric_rollups WHERE run_id = $1 AND key_id = $2 AND level = $3 AND bucket BETWEEN $4 AND $5 ORDER BY bucket`,
    [runId, keyId, level, fromBucket, toBucket],
  );
}

/** Extremes of a short raw step range: the partial buckets at the edges of a requested range. */
export async function rangeExtremes(sql: SqlQueryable, runId: number, keyId: number, fromStep: number, toStep: number): Promise<BucketExtremes> {
  const rows = await sql.query<BucketExtremes>(
    `SELECT count(*)::int8 AS count,
            ${pickExtreme('value', 'ASC')} AS "minValue", ${pickExtreme('step', 'ASC')} AS "minStep", ${pickExtreme('ts', 'ASC')} AS "minTs",
            ${pickExtreme('value', 'DESC')} AS "maxValue", ${pickExtreme('step', 'DESC')} AS "maxStep", ${pickExtreme('ts', 'DESC')} AS "maxTs"
     FROM metric_points WHERE run_id = $1 AND key_id = $2 AND step BETWEEN $3 AND $4`,
    [runId, keyId, fromStep, toStep],
  );
  return rows[0]!;
}

export async function allPoints(sql: SqlQueryable, range: HistoryRange): Promise<{ step: number; ts: Date; value: number }[]> {
  const { where, params } = rangeWhere(range);
  return sql.query(`SELECT step, ts, value FROM metric_points WHERE ${where} ORDER BY step, ts`, params);
}

/**
 * The fallback when no rollup level fits (steps spread too wide, or many points per step):
 * splits the series into `buckets` runs of consecutive points and keeps, per bucket, the
 * point with the lowest and the one with the highest value (NaN counts as neither unless a
 * bucket holds nothing else), so spikes survive downsampling and the global extremes are
 * always among the points returned.
 */
export async function scanExtremes(
  sql: SqlQueryable,
  range: HistoryRange,
  buckets: number,
): Promise<{ bucket: number; step: number; ts: Date; value: number }[]> {
  const { where, params } = rangeWhere(range);
  return sql.query(
    `WITH pts AS (
       SELECT step, ts, value, ntile($5) OVER (ORDER BY step, ts) AS bucket FROM metric_points WHERE ${where}),
     ranked AS (
       SELECT *, row_number() OVER (PARTITION BY bucket ORDER BY value = 'NaN', value ASC, step) AS lo,
                 row_number() OVER (PARTITION BY bucket ORDER BY value = 'NaN', value DESC, step) AS hi
       FROM pts)
     SELECT bucket, step, ts, value FROM ranked WHERE lo = 1 OR hi = 1 ORDER BY step, ts`,
    [...params, buckets],
  );
}

export async function summaryCount(sql: SqlQueryable, runId: number, keyId: number): Promise<number> {
  const rows = await sql.query<{ count: number }>('SELECT count FROM metric_summaries WHERE run_id = $1 AND key_id = $2', [runId, keyId]);
  return rows[0]?.count ?? 0;
}

export async function countPoints(sql: SqlQueryable, range: HistoryRange): Promise<number> {
  const { where, params } = rangeWhere(range);
  const rows = await sql.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM metric_points WHERE ${where}`, params);
  return rows[0]?.n ?? 0;
}
