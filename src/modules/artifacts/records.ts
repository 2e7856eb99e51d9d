// SQL reads of artifact records (the rows; blobs live behind the ArtifactStore port) by id,
// for the loaders behind lineage labels and node(id), without Prisma's per-query overhead.
import type { SqlQueryable } from '../../db/sql.js';
import type { Artifact } from '../../generated/prisma/client.js';

const COLUMNS = `id, run_id AS "runId", name, kind, digest, size_bytes AS "sizeBytes", media_type AS "mediaType", created_at AS "createdAt",
  media_key AS "mediaKey", step`;

type Row = Omit<Artifact, 'sizeBytes' | 'step'> & { sizeBytes: number; step: number | null };
const toArtifact = (r: Row): Artifact => ({ ...r, sizeBytes: BigInt(r.sizeBytes), step: r.step === null ? null : BigInt(r.step) });

export async function artifactsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<Artifact[]> {
  const rows = await sql.query<Row>(`SELECT ${COLUMNS} FROM artifacts WHERE id = ANY($1::int[])`, [ids]);
  return rows.map(toArtifact);
}

export interface MediaFilter {
  kind?: string | null;
  key?: string | null;
  step?: number | null;
  /** Keyset position: the (key, step, id) of the last artifact of the previous page. */
  after?: { key: string; step: number | null; id: number } | null;
}

/**
 * Media (artifacts with a key) of each run, ordered by key, step and id, at most `limit` per
 * run after the cursor: one statement for a whole page of runs.
 */
export async function mediaPage(sql: SqlQueryable, runIds: readonly number[], filter: MediaFilter, limit: number): Promise<Artifact[]> {
  const after = filter.after ?? null;
  const rows = await sql.query<Row>(
    `SELECT ${COLUMNS} FROM (
       SELECT a.*, row_number() OVER (PARTITION BY a.run_id ORDER BY a.media_key, a.step NULLS FIRST, a.id) AS n
       FROM artifacts a
       WHERE a.run_id = ANY($1::int[]) AND a.media_key IS NOT NULL
         AND ($2::text IS NULL OR a.kind::text = $2) AND ($3::text IS NULL OR a.media_key = $3) AND ($4::int8 IS NULL OR a.step = $4)
         AND ($5::text IS NULL OR (a.media_key, coalesce(a.step, -9223372036854775808), a.id) > ($5::text, coalesce($6::int8, -9223372036854775808), $7::int))
     ) x WHERE n <= $8 ORDER BY run_id, media_key, step NULLS FIRST, id`,
    [runIds, filter.kind ?? null, filter.key ?? null, filter.step ?? null, after?.key ?? null, after?.step ?? null, after?.id ?? null, limit],
  );
  return rows.map(toArtifact);
}

export interface MediaKeyRow {
  runId: number;
  kind: Artifact['kind'];
  key: string;
  count: number;
  steps: number[];
}

/** Per run, each media key with its kind, how many uploads it has, and its distinct steps (the first 10,000). */
export async function mediaKeysOf(sql: SqlQueryable, runIds: readonly number[]): Promise<MediaKeyRow[]> {
  const rows = await sql.query<MediaKeyRow>(
    `SELECT run_id AS "runId", kind::text AS kind, media_key AS key, count(*)::int AS count,
            (array_agg(DISTINCT step ORDER BY step) FILTER (WHERE step IS NOT NULL))[1:10000] AS steps
     FROM artifacts WHERE run_id = ANY($1::int[]) AND media_key IS NOT NULL
     GROUP BY run_id, kind, media_key ORDER BY run_id, media_key, kind`,
    [runIds],
  );
  return rows.map((r) => ({ ...r, steps: (r.steps ?? []).map(Number) }));
}
