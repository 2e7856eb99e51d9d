// SQL reads of registered models and their versions by id, for the loaders behind lineage
// labels, aliases and node(id): one index lookup each, without Prisma's per-query overhead.
import type { SqlQueryable } from '../../db/sql.js';
import type { ModelVersion, Prisma, RegisteredModel } from '../../generated/prisma/client.js';

export async function modelsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<RegisteredModel[]> {
  return sql.query<RegisteredModel>(
    `SELECT id, name, project_id AS "projectId", description, latest_version AS "latestVersion", created_at AS "createdAt"
     FROM registered_models WHERE id = ANY($1::int[])`,
    [ids],
  );
}

/** A model version with its model and the project of the run that produced it (visibility needs both projects). */
export interface VersionWithModel {
  version: ModelVersion;
  model: RegisteredModel;
  runProjectId: number;
}

/** Versions by id with the model each belongs to and its run's project, in one statement (labels and visibility need them). */
export async function modelVersionsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<VersionWithModel[]> {
  const rows = await sql.query<ModelVersion & { model: RegisteredModel; runProjectId: number }>(
    `SELECT v.id, v.model_id AS "modelId", v.version, v.run_id AS "runId", v.artifact_id AS "artifactId", v.description,
            v.created_by AS "createdBy", v.created_at AS "createdAt", r.project_id AS "runProjectId",
            json_build_object('id', m.id, 'name', m.name, 'projectId', m.project_id, 'description', m.description,
                              'latestVersion', m.latest_version, 'createdAt', m.created_at) AS model
     FROM model_versions v JOIN registered_models m ON m.id = v.model_id JOIN runs r ON r.id = v.run_id WHERE v.id = ANY($1::int[])`,
    [ids],
  );
  return rows.map(({ model, runProjectId, ...version }) => ({ version, model: { ...model, createdAt: new Date(model.createdAt) }, runProjectId }));
}

/** Locks a model's row for the transaction, so alias changes of one model happen one at a time. */
export async function lockModelRow(tx: Prisma.TransactionClient, modelId: number): Promise<void> {
  await tx.$queryRaw`SELECT id FROM registered_models WHERE id = ${modelId} FOR UPDATE`;
}

/** Locks a promotion request's row for the transaction (approvals of one request happen one at a time). */
export async function lockPromotionRequestRow(tx: Prisma.TransactionClient, requestId: number): Promise<void> {
  await tx.$queryRaw`SELECT id FROM promotion_requests WHERE id = ${requestId} FOR UPDATE`;
}
