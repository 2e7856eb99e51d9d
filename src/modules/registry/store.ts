// SQL reads of registered models and their versions by id, for the loaders behind lineage
// labels, aliases and node(id): one index lookup each, without Prisma's per-query overhead.
import type { SqlQueryable } from '../../db/sql.js';
import type { ModelVersion, RegisteredModel } from '../../generated/prisma/client.js';

export async function modelsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<RegisteredModel[]> {
  return sql.query<RegisteredModel>(
    `SELECT id, name, project_id AS "projectId", description, latest_version AS "latestVersion", created_at AS "createdAt"
     FROM registered_models WHERE id = ANY($1::int[])`,
    [ids],
  );
}

export async function modelVersionsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<ModelVersion[]> {
  return sql.query<ModelVersion>(
    `SELECT id, model_id AS "modelId", version, run_id AS "runId", artifact_id AS "artifactId", description,
            created_by AS "createdBy", created_at AS "createdAt"
     FROM model_versions WHERE id = ANY($1::int[])`,
    [ids],
  );
}
