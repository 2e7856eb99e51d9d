// SQL of the catalog: names across datasets, jobs, training runs and registered models (prefix
// search, served by the lower(name) indexes), and the namespaces jobs and datasets live in.
import type { SqlQueryable } from '../../db/sql.js';

export const SEARCH_KINDS = ['DATASET', 'JOB', 'RUN', 'MODEL'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

export interface SearchHit {
  kind: SearchKind;
  id: number;
  name: string;
  /** The dataset's or job's namespace; null for runs and models. */
  namespace: string | null;
  updatedAt: Date;
}

/** `text` as a LIKE pattern matching itself literally. */
const literal = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function searchNames(
  sql: SqlQueryable,
  prefix: string,
  kinds: readonly SearchKind[],
  projectIds: readonly number[] | null,
  limit: number,
): Promise<SearchHit[]> {
  const parts: Record<SearchKind, string> = {
    DATASET: `SELECT 'DATASET' AS kind, id, name, namespace, created_at AS at FROM datasets WHERE lower(name) LIKE $1 ESCAPE '\\' AND ($2::int[] IS NULL OR project_id = ANY($2::int[]))`,
    JOB: `SELECT 'JOB' AS kind, id, name, namespace, updated_at AS at FROM jobs WHERE lower(name) LIKE $1 ESCAPE '\\' AND ($2::int[] IS NULL OR project_id = ANY($2::int[]))`,
    RUN: `SELECT 'RUN' AS kind, id, name, NULL AS namespace, updated_at AS at FROM runs WHERE lower(name) LIKE $1 ESCAPE '\\' AND deleted_at IS NULL AND ($2::int[] IS NULL OR project_id = ANY($2::int[]))`,
    MODEL: `SELECT 'MODEL' AS kind, id, name, NULL AS namespace, created_at AS at FROM registered_models WHERE lower(name) LIKE $1 ESCAPE '\\' AND ($2::int[] IS NULL OR project_id = ANY($2::int[]))`,
  };
  // Each kind's best `limit` first (its index serves the order), then merged: name, kind, id.
  const union = kinds.map((k) => `(${parts[k]} ORDER BY lower(name), id LIMIT $3)`).join(' UNION ALL ');
  const rows = await sql.query<{ kind: SearchKind; id: number; name: string; namespace: string | null; at: Date }>(
    `SELECT * FROM (${union}) hits ORDER BY lower(name), name, kind, id LIMIT $3`,
    [`${literal(prefix.toLowerCase())}%`, projectIds ? [...projectIds] : null, limit],
  );
  return rows.map((r) => ({ kind: r.kind, id: r.id, name: r.name, namespace: r.namespace, updatedAt: new Date(r.at) }));
}

export interface NamespaceRow {
  name: string;
  createdAt: Date;
  updatedAt: Date;
  /** The project of its jobs (or datasets), as its owner. */
  ownerName: string;
}

/** Namespaces of jobs and datasets in the projects given (null: all), by name. */
export async function namespaces(
  sql: SqlQueryable,
  projectIds: readonly number[] | null,
  options: { name: string | null; limit: number; offset: number },
): Promise<NamespaceRow[]> {
  const rows = await sql.query<NamespaceRow>(
    `SELECT x.namespace AS name, min(x.created_at) AS "createdAt", max(x.updated_at) AS "updatedAt", min(p.name) AS "ownerName"
     FROM (SELECT namespace, created_at, created_at AS updated_at, project_id FROM datasets WHERE namespace <> ''
           UNION ALL SELECT namespace, created_at, updated_at, project_id FROM jobs) x
     JOIN projects p ON p.id = x.project_id
     WHERE ($1::int[] IS NULL OR x.project_id = ANY($1::int[])) AND ($2::text IS NULL OR x.namespace = $2)
     GROUP BY x.namespace ORDER BY x.namespace LIMIT $3 OFFSET $4`,
    [projectIds ? [...projectIds] : null, options.name, options.limit, options.offset],
  );
  return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt) }));
}

/** Ids of datasets of one namespace in the projects given (null: all), by name, with how many there are. */
export async function datasetIdsOf(
  sql: SqlQueryable,
  namespace: string,
  projectIds: readonly number[] | null,
  limit: number,
  offset: number,
): Promise<{ ids: number[]; total: number }> {
  const where = 'namespace = $1 AND ($2::int[] IS NULL OR project_id = ANY($2::int[]))';
  const params = [namespace, projectIds ? [...projectIds] : null];
  const rows = await sql.query<{ id: number }>(`SELECT id FROM datasets WHERE ${where} ORDER BY name LIMIT $3 OFFSET $4`, [...params, limit, offset]);
  const [count] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM datasets WHERE ${where}`, params);
  return { ids: rows.map((r) => r.id), total: count?.n ?? 0 };
}

/** Version ids of a dataset, newest first, a page, with how many there are. */
export async function versionIdsOf(sql: SqlQueryable, datasetId: number, limit: number, offset: number): Promise<{ ids: number[]; total: number }> {
  const rows = await sql.query<{ id: number }>('SELECT id FROM dataset_versions WHERE dataset_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3', [
    datasetId,
    limit,
    offset,
  ]);
  const [count] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM dataset_versions WHERE dataset_id = $1', [datasetId]);
  return { ids: rows.map((r) => r.id), total: count?.n ?? 0 };
}

/** The pipeline run that produced each version (its PRODUCED edge), when one did. */
export async function producersOf(sql: SqlQueryable, versionIds: readonly number[]): Promise<{ versionId: number; pipelineRunId: number }[]> {
  return sql.query(
    `SELECT DISTINCT ON (to_id) to_id AS "versionId", from_id AS "pipelineRunId" FROM lineage_edges
     WHERE to_type = 'DatasetVersion' AND to_id = ANY($1::int[]) AND from_type = 'PipelineRun' AND kind = 'PRODUCED' ORDER BY to_id, created_at`,
    [versionIds],
  );
}

/** The dataset versions pipeline runs read (INPUT_TO) and produced (PRODUCED). */
export async function versionsOfPipelineRuns(
  sql: SqlQueryable,
  runIds: readonly number[],
): Promise<{ pipelineRunId: number; versionId: number; direction: 'INPUT' | 'OUTPUT' }[]> {
  return sql.query(
    `SELECT to_id AS "pipelineRunId", from_id AS "versionId", 'INPUT' AS direction FROM lineage_edges
      WHERE to_type = 'PipelineRun' AND to_id = ANY($1::int[]) AND from_type = 'DatasetVersion' AND kind = 'INPUT_TO'
     UNION ALL
     SELECT from_id, to_id, 'OUTPUT' FROM lineage_edges
      WHERE from_type = 'PipelineRun' AND from_id = ANY($1::int[]) AND to_type = 'DatasetVersion' AND kind = 'PRODUCED'
     ORDER BY 1, 3, 2`,
    [runIds],
  );
}

/** The newest version id of each dataset. */
export async function latestVersionIds(sql: SqlQueryable, datasetIds: readonly number[]): Promise<{ datasetId: number; versionId: number }[]> {
  return sql.query(
    `SELECT DISTINCT ON (dataset_id) dataset_id AS "datasetId", id AS "versionId" FROM dataset_versions
     WHERE dataset_id = ANY($1::int[]) ORDER BY dataset_id, created_at DESC, id DESC`,
    [datasetIds],
  );
}
