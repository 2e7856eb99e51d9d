// SQL reads of artifact records (the rows; blobs live behind the ArtifactStore port) by id,
// for the loaders behind lineage labels and node(id), without Prisma's per-query overhead.
import type { SqlQueryable } from '../../db/sql.js';
import type { Artifact } from '../../generated/prisma/client.js';

/** An artifact with the project of the run that produced it: who may read it follows from that project. */
export type ArtifactWithProject = Artifact & { projectId: number };

export async function artifactsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<ArtifactWithProject[]> {
  const rows = await sql.query<Omit<ArtifactWithProject, 'sizeBytes'> & { sizeBytes: number }>(
    `SELECT a.id, a.run_id AS "runId", a.name, a.kind, a.digest, a.size_bytes AS "sizeBytes", a.media_type AS "mediaType", a.created_at AS "createdAt",
            r.project_id AS "projectId"
     FROM artifacts a JOIN runs r ON r.id = a.run_id WHERE a.id = ANY($1::int[])`,
    [ids],
  );
  return rows.map((r) => ({ ...r, sizeBytes: BigInt(r.sizeBytes) }));
}

/** Which of these digests some artifact row refers to. */
export async function referencedDigests(sql: SqlQueryable, digests: readonly string[]): Promise<Set<string>> {
  const rows = await sql.query<{ digest: string }>('SELECT DISTINCT digest FROM artifacts WHERE digest = ANY($1::text[])', [digests]);
  return new Set(rows.map((r) => r.digest));
}
