// SQL of the live module: the paged replay behind metricLogged(sinceStep), and the stored totals of a run's series.
import type { SqlQueryable } from '../../db/sql.js';

export interface ReplayPoint {
  key: string;
  step: number;
  ts: Date;
  value: number;
}

export interface ReplayCursor {
  step: number;
  ts: Date;
  key: string;
}

/**
 * The stored points of a run from `sinceStep` on, in (step, timestamp, key) order, one page
 * after `after`. Keyset paging keeps every page one short query, however long the run.
 */
export async function replayPage(
  sql: SqlQueryable,
  args: { runId: number; sinceStep: number; keys: readonly string[] | null; after: ReplayCursor | null; limit: number },
): Promise<ReplayPoint[]> {
  const { runId, sinceStep, keys, after, limit } = args;
  return sql.query<ReplayPoint>(
    `SELECT k.name AS key, p.step, p.ts, p.value
     FROM metric_points p JOIN metric_keys k ON k.id = p.key_id
     WHERE p.run_id = $1 AND p.step >= $2
       AND ($3::text[] IS NULL OR k.name = ANY($3::text[]))
       AND ($4::int8 IS NULL OR (p.step, p.ts, k.name) > ($4::int8, $5::timestamptz, $6::text))
     ORDER BY p.step, p.ts, k.name
     LIMIT $7`,
    [runId, sinceStep, keys, after?.step ?? null, after?.ts ?? null, after?.key ?? null, limit],
  );
}

/** How many points a series (one key of a run) holds, and its highest step. */
export interface SeriesTotal {
  key: string;
  count: number;
  lastStep: number;
}

/** The totals of every series of a run, from the summaries each write updates in its own statement. */
export async function seriesTotals(sql: SqlQueryable, runId: number): Promise<SeriesTotal[]> {
  const rows = await sql.query<{ key: string; count: string | number; lastStep: string | number }>(
    `SELECT k.name AS key, s.count, s.last_step AS "lastStep" FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id WHERE s.run_id = $1`,
    [runId],
    { prepareAs: 'live.seriesTotals' },
  );
  return rows.map((r) => ({ key: r.key, count: Number(r.count), lastStep: Number(r.lastStep) }));
}
