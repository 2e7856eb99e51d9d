// SQL of the live module: the paged replay behind metricLogged(sinceStep).
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
