// SQL reads of datasets and their versions by id. Lineage responses and the loaders behind
// every dataset field read through here; Prisma's per-query compile and interpretation cost
// more than these one-index lookups themselves.
import type { SqlQueryable } from '../../db/sql.js';
import type { Dataset, DatasetVersion, Prisma, RunDatasetInput, RunModelInput } from '../../generated/prisma/client.js';

export async function datasetsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<Dataset[]> {
  return sql.query<Dataset>(
    `SELECT id, namespace, name, project_id AS "projectId", description, created_at AS "createdAt", facets, claimed, column_lineage_at AS "columnLineageAt"
     FROM datasets WHERE id = ANY($1::int[])`,
    [ids],
  );
}

const VERSION_WITH_DATASET = `v.id, v.dataset_id AS "datasetId", v.version, v.digest, v.source_uri AS "sourceUri", v.row_count AS "rowCount", v.schema, v.splits,
            v.coverage_start AS "coverageStart", v.coverage_end AS "coverageEnd", v.created_by AS "createdBy", v.created_at AS "createdAt", v.facets,
            v.source_type AS "sourceType", v.source, v.schema_text AS "schemaText", v.profile,
            json_build_object('id', d.id, 'namespace', d.namespace, 'name', d.name, 'projectId', d.project_id, 'description', d.description, 'createdAt', d.created_at,
                              'facets', d.facets, 'claimed', d.claimed, 'columnLineageAt', d.column_lineage_at) AS dataset`;

type VersionWithDatasetRow = Omit<DatasetVersion, 'rowCount'> & { rowCount: number | null; dataset: Dataset };

function versionWithDataset({ dataset, ...v }: VersionWithDatasetRow): { version: DatasetVersion; dataset: Dataset } {
  return {
    version: { ...v, rowCount: v.rowCount === null ? null : BigInt(v.rowCount) },
    dataset: { ...dataset, createdAt: new Date(dataset.createdAt), columnLineageAt: dataset.columnLineageAt ? new Date(dataset.columnLineageAt) : null },
  };
}

/** Versions by id with the dataset each belongs to, in one statement (labels need both). */
export async function datasetVersionsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<{ version: DatasetVersion; dataset: Dataset }[]> {
  const rows = await sql.query<VersionWithDatasetRow>(
    `SELECT ${VERSION_WITH_DATASET} FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ANY($1::int[])`,
    [ids],
  );
  return rows.map(versionWithDataset);
}

/**
 * The dataset inputs of runs, each with its version and that version's dataset, in one
 * statement: Run.inputs shows the versions, and would otherwise load them in a second round trip.
 * In each run's logged order (as Prisma's orderBy runId, createdAt, role gave them).
 */
export async function datasetInputsWithVersions(
  sql: SqlQueryable,
  runIds: readonly number[],
): Promise<{ input: RunDatasetInput; version: DatasetVersion; dataset: Dataset }[]> {
  const rows = await sql.query<VersionWithDatasetRow & { inputRunId: number; inputRole: string; inputTags: Prisma.JsonValue; inputCreatedAt: Date }>(
    `SELECT i.run_id AS "inputRunId", i.role AS "inputRole", i.tags AS "inputTags", i.created_at AS "inputCreatedAt", ${VERSION_WITH_DATASET}
     FROM run_dataset_inputs i JOIN dataset_versions v ON v.id = i.dataset_version_id JOIN datasets d ON d.id = v.dataset_id
     WHERE i.run_id = ANY($1::int[]) ORDER BY i.run_id, i.created_at, i.role`,
    [runIds],
    { prepareAs: 'datasets.inputsWithVersions' },
  );
  return rows.map(({ inputRunId, inputRole, inputTags, inputCreatedAt, ...row }) => ({
    input: { runId: inputRunId, datasetVersionId: row.id, role: inputRole, tags: inputTags, createdAt: inputCreatedAt },
    ...versionWithDataset(row),
  }));
}

/** The model inputs of runs (fine-tuning), in each run's logged order; Run.inputs reads them beside the dataset inputs. */
export async function modelInputsOfRuns(sql: SqlQueryable, runIds: readonly number[]): Promise<RunModelInput[]> {
  return sql.query<RunModelInput>(
    `SELECT run_id AS "runId", model_version_id AS "modelVersionId", role, created_at AS "createdAt"
     FROM run_model_inputs WHERE run_id = ANY($1::int[]) ORDER BY run_id, created_at, role`,
    [runIds],
    { prepareAs: 'datasets.modelInputsOfRuns' },
  );
}

/** The distinct (dataset, version, role, input tags) live runs of these projects read, newest input first. */
export async function inputSummaries(sql: SqlQueryable, projectIds: readonly number[], limit: number) {
  return sql.query<{ projectId: number; name: string; version: string; role: string; tags: { key: string; value: string }[] | null }>(
    `SELECT r.project_id AS "projectId", d.name, v.version, i.role, i.tags
     FROM run_dataset_inputs i JOIN runs r ON r.id = i.run_id
       JOIN dataset_versions v ON v.id = i.dataset_version_id JOIN datasets d ON d.id = v.dataset_id
     WHERE r.project_id = ANY($1::int[]) AND r.deleted_at IS NULL
     GROUP BY r.project_id, d.name, v.version, i.role, i.tags
     ORDER BY max(i.created_at) DESC, d.name, v.version LIMIT $2`,
    [projectIds, limit],
  );
}
