// SQL reads of datasets and their versions by id. Lineage responses and the loaders behind
// every dataset field read through here; Prisma's per-query compile and interpretation cost
// more than these one-index lookups themselves.
import type { SqlQueryable } from '../../db/sql.js';
import type { Dataset, DatasetVersion } from '../../generated/prisma/client.js';

export async function datasetsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<Dataset[]> {
  return sql.query<Dataset>(
    `SELECT id, name, project_id AS "projectId", description, created_at AS "createdAt" FROM datasets WHERE id = ANY($1::int[])`,
    [ids],
  );
}

export async function datasetVersionsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<DatasetVersion[]> {
  const rows = await sql.query<Omit<DatasetVersion, 'rowCount'> & { rowCount: number | null }>(
    `SELECT id, dataset_id AS "datasetId", version, digest, source_uri AS "sourceUri", row_count AS "rowCount", schema, splits,
            coverage_start AS "coverageStart", coverage_end AS "coverageEnd", created_by AS "createdBy", created_at AS "createdAt"
     FROM dataset_versions WHERE id = ANY($1::int[])`,
    [ids],
  );
  return rows.map((r) => ({ ...r, rowCount: r.rowCount === null ? null : BigInt(r.rowCount) }));
}
