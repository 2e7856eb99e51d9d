// SQL reads of artifact records (the rows; blobs live behind the ArtifactStore port) by id,
// for the loaders behind lineage labels and node(id), without Prisma's per-query overhead.
import type { SqlQueryable } from '../../db/sql.js';
import type { Artifact } from '../../generated/prisma/client.js';

/** Artifacts by id; each carries its project, from which who may read it follows. */
export async function artifactsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<Artifact[]> {
  const rows = await sql.query<Omit<Artifact, 'sizeBytes'> & { sizeBytes: number }>(
    `SELECT a.id, a.run_id AS "runId", a.logged_model_id AS "loggedModelId", a.project_id AS "projectId", a.name, a.kind, a.digest,
            a.size_bytes AS "sizeBytes", a.media_type AS "mediaType", a.created_at AS "createdAt"
     FROM artifacts a WHERE a.id = ANY($1::int[])`,
    [ids],
  );
  return rows.map((r) => ({ ...r, sizeBytes: BigInt(r.sizeBytes) }));
}

/** Which of these digests some artifact row refers to. */
export async function referencedDigests(sql: SqlQueryable, digests: readonly string[]): Promise<Set<string>> {
  const rows = await sql.query<{ digest: string }>('SELECT DISTINCT digest FROM artifacts WHERE digest = ANY($1::text[])', [digests]);
  return new Set(rows.map((r) => r.digest));
}
