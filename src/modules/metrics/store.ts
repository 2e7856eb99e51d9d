// Bulk SQL for metric points: one statement per batch for points, their summaries and the
// rollup queue; the reads behind metricHistory.
import type { SqlQueryable } from '../../db/sql.js';
import { queuePendingSql } from './rollup-store.js';

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

/**
 * Inserts points (a repeated (run, key, step, timestamp) is skipped), folds the inserted
 * ones into metric_summaries and queues them for the rollups (see rollups.ts), in one
 * statement. Summaries are upserted in (run, key) order. With `lockRun`, the statement
 * first locks run $6 against deletion (as logBatch's transaction does) and inserts only when
 * the run exists and is not deleted, so a batch of points alone is one round trip and one
 * implicit transaction. The database answers with a count, and names the inserted points by
 * position only when some already existed (a retry): parsing every inserted row back cost
 * more than writing it.
 */
const pointsStatement = (lockRun: boolean, fresh = false) =>
  `WITH ${
    lockRun
      ? `run AS (SELECT project_id, deleted_at FROM runs WHERE id = $6 FOR NO KEY UPDATE),
   `
      : ''
  }ins AS (
     INSERT INTO metric_points (run_id, key_id, step, ts, value)
     SELECT * FROM unnest($1::int[], $2::int[], $3::int8[], $4::timestamptz[], $5::float8[])
     ${lockRun ? 'WHERE EXISTS (SELECT 1 FROM run WHERE deleted_at IS NULL)' : ''}
     ${fresh ? '' : 'ON CONFLICT DO NOTHING'}
     RETURNING run_id, key_id, step, ts, value),
   agg AS (
     SELECT t.run_id, t.key_id, t.n, t.mn, t.mx, t.fs, l.lv, l.ls, l.lt
     FROM (SELECT run_id, key_id, count(*) AS n, min(step) AS fs,
                  min(value) FILTER (WHERE value <> 'NaN') AS mn, max(value) FILTER (WHERE value <> 'NaN') AS mx
           FROM ins GROUP BY run_id, key_id) t
     JOIN (SELECT DISTINCT ON (run_id, key_id) run_id, key_id, value AS lv, step AS ls, ts AS lt
           FROM ins ORDER BY run_id, key_id, step DESC, ts DESC) l USING (run_id, key_id)),
   upd AS (
     INSERT INTO metric_summaries AS s (run_id, key_id, last_value, last_step, last_ts, min_value, max_value, count, first_step)
     SELECT run_id, key_id, lv, ls, lt, mn, mx, n, fs FROM agg ORDER BY run_id, key_id
     ON CONFLICT (run_id, key_id) DO UPDATE SET
       count = s.count + EXCLUDED.count,
       first_step = LEAST(s.first_step, EXCLUDED.first_step),
       min_value = LEAST(s.min_value, EXCLUDED.min_value),
       max_value = GREATEST(s.max_value, EXCLUDED.max_value),
       last_value = CASE WHEN (EXCLUDED.last_step, EXCLUDED.last_ts) >= (s.last_step, s.last_ts) THEN EXCLUDED.last_value ELSE s.last_value END,
       last_ts = CASE WHEN (EXCLUDED.last_step, EXCLUDED.last_ts) >= (s.last_step, s.last_ts) THEN EXCLUDED.last_ts ELSE s.last_ts END,
       last_step = GREATEST(s.last_step, EXCLUDED.last_step)
     RETURNING s.run_id, s.key_id, s.count),
   queued AS (${queuePendingSql('ins')} RETURNING 1)
   SELECT (SELECT count(*) FROM ins)::int AS inserted,
          (SELECT json_agg(json_build_array(run_id, key_id, count)) FROM upd) AS counts,
          CASE WHEN (SELECT count(*) FROM ins) < cardinality($1::int[]) THEN
            (SELECT array_agg(i.position ORDER BY i.position)
             FROM unnest($1::int[], $2::int[], $3::int8[], $4::timestamptz[], $5::float8[]) WITH ORDINALITY AS i(run_id, key_id, step, ts, value, position)
             JOIN ins USING (run_id, key_id, step, ts, value))
          END AS positions${lockRun ? ', (SELECT project_id FROM run) AS "projectId", (SELECT deleted_at FROM run) AS "deletedAt", EXISTS (SELECT 1 FROM run) AS found' : ''}`;

const INSERT_POINTS = pointsStatement(false);
const INSERT_RUN_POINTS = pointsStatement(true);
const INSERT_FRESH_RUN_POINTS = pointsStatement(true, true);
const UNIQUE_VIOLATION = '23505';

interface PointsAnswer {
  inserted: number;
  /** [run, key, points of the series after this statement] for each series it added to. */
  counts: [number, number, number | string][] | null;
  positions: number[] | null;
  projectId?: number | null;
  deletedAt?: Date | null;
  found?: boolean;
}

const pointColumns = (unique: readonly PointRow[]) => [
  unique.map((p) => p.runId),
  unique.map((p) => p.keyId),
  unique.map((p) => p.step),
  isoTimestamps(unique),
  unique.map((p) => p.value),
];

function insertedOf(unique: readonly PointRow[], answer: PointsAnswer | undefined): readonly PointRow[] {
  if (!answer || answer.inserted === unique.length) return unique;
  return (answer.positions ?? []).map((position) => unique[Number(position) - 1]!);
}

/**
 * How many points each series (run, key) holds once a write committed: the live stream's
 * sequence, which lets a subscriber tell that a batch it never received was committed.
 */
export interface SeriesCount {
  runId: number;
  keyId: number;
  count: number;
}

const countsOf = (answer: PointsAnswer | undefined): SeriesCount[] =>
  (answer?.counts ?? []).map(([runId, keyId, count]) => ({ runId, keyId, count: Number(count) }));

/**
 * Inserts points of any runs; returns those actually inserted and the series' counts after.
 * Points may belong to several runs (the seed loads many at once); the caller guards the runs
 * against deletion.
 */
export async function insertPoints(sql: SqlQueryable, points: readonly PointRow[]): Promise<{ inserted: readonly PointRow[]; counts: SeriesCount[] }> {
  const unique = distinctPoints(points);
  if (unique.length === 0) return { inserted: [], counts: [] };
  const [answer] = await sql.query<PointsAnswer>(INSERT_POINTS, pointColumns(unique), { prepareAs: 'metrics.insertPoints' });
  return { inserted: insertedOf(unique, answer), counts: countsOf(answer) };
}

/**
 * Inserts points of one run in one statement that also locks the run: `run` is null when it
 * does not exist, and nothing is inserted when it is deleted. `points` must not be empty.
 * Not for use inside a transaction: the first attempt may fail on a stored point.
 */
export async function insertRunPoints(
  sql: SqlQueryable,
  runId: number,
  points: readonly PointRow[],
): Promise<{ run: { projectId: number; deletedAt: Date | null } | null; inserted: readonly PointRow[]; counts: SeriesCount[] }> {
  const unique = distinctPoints(points);
  const params = [...pointColumns(unique), runId];
  // Most batches are new points: a plain insert costs a third of ON CONFLICT's speculative
  // one. When some point is already stored (a retry) the statement fails as a whole, having
  // written nothing, and the batch goes again skipping what exists.
  const answer = await sql
    .query<PointsAnswer>(INSERT_FRESH_RUN_POINTS, params, { prepareAs: 'metrics.insertFreshRunPoints' })
    .catch((error: unknown) => {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      return sql.query<PointsAnswer>(INSERT_RUN_POINTS, params, { prepareAs: 'metrics.insertRunPoints' });
    })
    .then((rows) => rows[0]);
  if (!answer?.found) return { run: null, inserted: [], counts: [] };
  return { run: { projectId: answer.projectId!, deletedAt: answer.deletedAt ?? null }, inserted: insertedOf(unique, answer), counts: countsOf(answer) };
}

/** Points of a batch mostly share one timestamp (the time it arrived): format each once. */
function isoTimestamps(points: readonly PointRow[]): string[] {
  const formatted = new Map<number, string>();
  return points.map((p) => {
    const ms = p.ts.getTime();
    let iso = formatted.get(ms);
    if (iso === undefined) formatted.set(ms, (iso = p.ts.toISOString()));
    return iso;
  });
}

/** The first of each (run, key, step, timestamp, value), in input order: what ON CONFLICT DO NOTHING keeps. */
function distinctPoints(points: readonly PointRow[]): readonly PointRow[] {
  const seen = new Set<string>();
  const unique: PointRow[] = [];
  for (const p of points) {
    const identity = `${p.runId}:${p.keyId}:${p.step}:${p.ts.getTime()}:${p.value}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    unique.push(p);
  }
  return unique.length === points.length ? points : unique;
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
  const rows = await sql.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM (SELECT 1 FROM metric_points WHERE ${where} LIMIT $5) p`, [...params, limit]);
  return rows[0]?.n ?? 0;
}

/**
 * First and last step of a series, read from the two ends of the primary key, and whether it
 * has points not yet folded into its rollups.
 */
export async function seriesBounds(sql: SqlQueryable, runId: number, keyId: number): Promise<{ first: number; last: number; pending: boolean } | null> {
  const rows = await sql.query<{ first: number | null; last: number | null; pending: boolean }>(
    `SELECT (SELECT step FROM metric_points WHERE run_id = $1 AND key_id = $2 ORDER BY step ASC LIMIT 1) AS first,
            (SELECT step FROM metric_points WHERE run_id = $1 AND key_id = $2 ORDER BY step DESC LIMIT 1) AS last,
            EXISTS (SELECT 1 FROM metric_rollup_pending WHERE run_id = $1 AND key_id = $2) AS pending`,
    [runId, keyId],
  );
  const row = rows[0];
  return row && row.first !== null && row.last !== null ? { first: row.first, last: row.last, pending: row.pending } : null;
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
): Promise<(BucketExtremes & { bucket: number })[]> {
  return sql.query<BucketExtremes & { bucket: number }>(
    `SELECT bucket, count, min_value AS "minValue", min_step AS "minStep", min_ts AS "minTs",
            max_value AS "maxValue", max_step AS "maxStep", max_ts AS "maxTs"
     FROM metric_rollups WHERE run_id = $1 AND key_id = $2 AND level = $3 AND bucket BETWEEN $4 AND $5 ORDER BY bucket`,
    [runId, keyId, level, fromBucket, toBucket],
  );
}

const pickExtreme = (column: string, order: 'ASC' | 'DESC') => `(array_agg(${column} ORDER BY value ${order}, step, ts) FILTER (WHERE value <> 'NaN'))[1]`;

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
  // The time as epoch milliseconds: a float is parsed several times faster than a timestamptz
  // string, which was most of the cost of reading a long page.
  const rows = await sql.query<{ step: number; ms: number; value: number }>(
    `SELECT step, (extract(epoch FROM ts) * 1000)::float8 AS ms, value FROM metric_points WHERE ${where} ORDER BY step, ts`,
    params,
    { prepareAs: 'metric_points_page' },
  );
  return rows.map((r) => ({ step: r.step, ts: new Date(r.ms), value: r.value }));
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
