// SQL reads of artifact records (the rows; blobs live behind the ArtifactStore port) by id,
// for the loaders behind lineage labels and node(id), without Prisma's per-query overhead.
import type { SqlQueryable } from '../../db/sql.js';
import type { Artifact } from '../../generated/prisma/client.js';

/** The columns of an artifact row, of the table aliased `a`. */
const COLUMNS = `a.id, a.run_id AS "runId", a.logged_model_id AS "loggedModelId", a.project_id AS "projectId", a.name, a.kind, a.digest,
  a.size_bytes AS "sizeBytes", a.media_type AS "mediaType", a.created_at AS "createdAt", a.media_key AS "mediaKey", a.step`;

/** An artifact row carries its project, from which who may read it follows. */
export type ArtifactWithProject = Artifact;

type Row = Omit<Artifact, 'sizeBytes' | 'step'> & { sizeBytes: number; step: number | null };
const toArtifact = <R extends Row>(r: R): Omit<R, 'sizeBytes' | 'step'> & { sizeBytes: bigint; step: bigint | null } => ({
  ...r,
  sizeBytes: BigInt(r.sizeBytes),
  step: r.step === null ? null : BigInt(r.step),
});

/** Artifacts by id. */
export async function artifactsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<ArtifactWithProject[]> {
  const rows = await sql.query<Row>(`SELECT ${COLUMNS} FROM artifacts a WHERE a.id = ANY($1::int[])`, [ids]);
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
     ) a WHERE n <= $8 ORDER BY a.run_id, a.media_key, a.step NULLS FIRST, a.id`,
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

/**
 * Which of these digests some artifact row refers to, or a chunk of an upload session that has
 * not expired (an expired session's chunks are garbage unless something else holds the bytes).
 */
export async function referencedDigests(sql: SqlQueryable, digests: readonly string[]): Promise<Set<string>> {
  const rows = await sql.query<{ digest: string }>(
    `SELECT digest FROM artifacts WHERE digest = ANY($1::text[])
     UNION
     SELECT c.digest FROM artifact_upload_chunks c JOIN artifact_upload_sessions s ON s.id = c.session_id
     WHERE c.digest = ANY($1::text[]) AND s.expires_at > now()`,
    [digests],
  );
  return new Set(rows.map((r) => r.digest));
}
