// SQL used inside the logBatch transaction for the run row, its params and its tags.
import type { SqlQueryable } from '../../db/sql.js';

/**
 * Locks the run for the rest of the transaction: against deletion, and against other batches
 * to it, so rollup updates of one series never interleave (see insertPoints). Writers to
 * different runs do not wait for each other.
 */
export async function lockRunForWrite(sql: SqlQueryable, runId: number): Promise<{ deletedAt: Date | null; projectId: number } | null> {
  const rows = await sql.query<{ deletedAt: Date | null; projectId: number }>(
    'SELECT deleted_at AS "deletedAt", project_id AS "projectId" FROM runs WHERE id = $1 FOR NO KEY UPDATE',
    [runId],
  );
  return rows[0] ?? null;
}

/** Claims a client batch id; returns the stored summary when an earlier call already applied it. */
export async function claimBatch(sql: SqlQueryable, runId: number, batchId: string): Promise<{ replayOf: unknown } | null> {
  const claimed = await sql.query(`INSERT INTO batch_receipts (run_id, batch_id, summary) VALUES ($1, $2, '{}') ON CONFLICT DO NOTHING RETURNING 1`, [
    runId,
    batchId,
  ]);
  if (claimed.length) return null;
  const rows = await sql.query<{ summary: unknown }>('SELECT summary FROM batch_receipts WHERE run_id = $1 AND batch_id = $2', [runId, batchId]);
  return { replayOf: rows[0]?.summary ?? {} };
}

export async function recordBatchSummary(sql: SqlQueryable, runId: number, batchId: string, summary: unknown): Promise<void> {
  await sql.query('UPDATE batch_receipts SET summary = $3 WHERE run_id = $1 AND batch_id = $2', [runId, batchId, JSON.stringify(summary)]);
}

/**
 * Inserts params that are new and returns the stored value of every key sent, so the caller
 * can tell a harmless repeat from a conflicting one.
 */
export async function insertParams(
  sql: SqlQueryable,
  runId: number,
  params: readonly { key: string; value: string }[],
): Promise<{ inserted: number; stored: Map<string, string> }> {
  if (!params.length) return { inserted: 0, stored: new Map() };
  const keys = params.map((p) => p.key);
  const inserted = await sql.query(
    `INSERT INTO params (run_id, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS p(k, v)
     ORDER BY k ON CONFLICT DO NOTHING RETURNING 1`,
    [runId, keys, params.map((p) => p.value)],
  );
  const rows = await sql.query<{ key: string; value: string }>('SELECT key, value FROM params WHERE run_id = $1 AND key = ANY($2::text[])', [runId, keys]);
  return { inserted: inserted.length, stored: new Map(rows.map((r) => [r.key, r.value])) };
}

export async function upsertTags(sql: SqlQueryable, runId: number, tags: readonly { key: string; value: string }[]): Promise<void> {
  if (!tags.length) return;
  await sql.query(
    `INSERT INTO tags (run_id, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)
     ORDER BY k ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value`,
    [runId, tags.map((t) => t.key), tags.map((t) => t.value)],
  );
}
