// SQL of jobs, their versions and their static lineage (JobEvents). Writes take the event's
// transaction; every date is the earliest (or latest) event's, so the order of arrival never shows.
import type { SqlQueryable } from '../../db/sql.js';
import type { StoredFacets } from './rules.js';

export interface JobRow {
  id: number;
  projectId: number;
  namespace: string;
  name: string;
  facets: StoredFacets;
  createdAt: Date;
  updatedAt: Date;
}

export interface JobVersionRow {
  id: number;
  jobId: number;
  version: string;
  facets: Record<string, unknown>;
  createdAt: Date;
}

const JOB_COLUMNS = `id, project_id AS "projectId", namespace, name, facets, created_at AS "createdAt", updated_at AS "updatedAt"`;
const VERSION_COLUMNS = `id, job_id AS "jobId", version, facets, created_at AS "createdAt"`;

const dated = <T extends { createdAt: Date; updatedAt?: Date }>(row: T): T => ({
  ...row,
  createdAt: new Date(row.createdAt),
  ...(row.updatedAt ? { updatedAt: new Date(row.updatedAt) } : {}),
});

/** The job, created in `projectId` when new, locked for this transaction, its dates widened to `at`. */
export async function lockJob(tx: SqlQueryable, key: { namespace: string; name: string }, projectId: number, at: Date): Promise<JobRow> {
  await tx.query(
    `INSERT INTO jobs (project_id, namespace, name, created_at, updated_at) VALUES ($1, $2, $3, $4::timestamptz, $4::timestamptz)
     ON CONFLICT (namespace, name) DO NOTHING`,
    [projectId, key.namespace, key.name, at.toISOString()],
  );
  const rows = await tx.query<JobRow>(
    `UPDATE jobs SET created_at = LEAST(created_at, $3::timestamptz), updated_at = GREATEST(updated_at, $3::timestamptz)
     WHERE namespace = $1 AND name = $2 RETURNING ${JOB_COLUMNS}`,
    [key.namespace, key.name, at.toISOString()],
  );
  return dated(rows[0]!);
}

export async function saveJobFacets(tx: SqlQueryable, jobId: number, facets: StoredFacets): Promise<void> {
  await tx.query('UPDATE jobs SET facets = $2::jsonb WHERE id = $1', [jobId, JSON.stringify(facets)]);
}

/** The version, created when new; its date is set by `redateVersions`. */
export async function ensureJobVersion(tx: SqlQueryable, jobId: number, version: string, facets: Record<string, unknown>, at: Date): Promise<number> {
  await tx.query(
    `INSERT INTO job_versions (job_id, version, facets, created_at) VALUES ($1, $2, $3::jsonb, $4::timestamptz) ON CONFLICT (job_id, version) DO NOTHING`,
    [jobId, version, JSON.stringify(facets), at.toISOString()],
  );
  const rows = await tx.query<{ id: number }>('SELECT id FROM job_versions WHERE job_id = $1 AND version = $2', [jobId, version]);
  return rows[0]!.id;
}

/**
 * Dates each version by its earliest run or JobEvent, and removes versions nothing is at any
 * more (a run's first events lacked the facet a later one sent): the versions left are those
 * the events, in any order, define.
 */
export async function redateVersions(tx: SqlQueryable, versionIds: readonly number[]): Promise<void> {
  if (versionIds.length === 0) return;
  await tx.query(
    `DELETE FROM job_versions v WHERE v.id = ANY($1::int[])
       AND NOT EXISTS (SELECT 1 FROM pipeline_runs r WHERE r.job_version_id = v.id)
       AND NOT EXISTS (SELECT 1 FROM job_datasets d WHERE d.job_version_id = v.id)`,
    [versionIds],
  );
  await tx.query(
    `UPDATE job_versions v SET created_at = coalesce(LEAST(
       (SELECT min(r.first_event_at) FROM pipeline_runs r WHERE r.job_version_id = v.id),
       (SELECT min(d.first_seen_at) FROM job_datasets d WHERE d.job_version_id = v.id)), v.created_at)
     WHERE v.id = ANY($1::int[])`,
    [versionIds],
  );
}

export async function linkJobDataset(tx: SqlQueryable, versionId: number, datasetId: number, direction: 'INPUT' | 'OUTPUT', at: Date): Promise<void> {
  await tx.query(
    `INSERT INTO job_datasets (job_version_id, dataset_id, direction, first_seen_at) VALUES ($1, $2, $3, $4::timestamptz)
     ON CONFLICT (job_version_id, dataset_id, direction) DO UPDATE SET first_seen_at = LEAST(job_datasets.first_seen_at, EXCLUDED.first_seen_at)`,
    [versionId, datasetId, direction, at.toISOString()],
  );
}

export async function jobsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<JobRow[]> {
  return (await sql.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ANY($1::int[])`, [ids])).map(dated);
}

export async function jobsByKeys(sql: SqlQueryable, keys: readonly { namespace: string; name: string }[]): Promise<JobRow[]> {
  if (keys.length === 0) return [];
  const rows = await sql.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs j JOIN unnest($1::text[], $2::text[]) AS k(ns, n) ON j.namespace = k.ns AND j.name = k.n`,
    [keys.map((k) => k.namespace), keys.map((k) => k.name)],
  );
  return rows.map(dated);
}

export async function jobVersionsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<JobVersionRow[]> {
  return (await sql.query<JobVersionRow>(`SELECT ${VERSION_COLUMNS} FROM job_versions WHERE id = ANY($1::int[])`, [ids])).map(dated);
}

/** Versions of jobs, newest first per job. */
export async function versionsOfJobs(sql: SqlQueryable, jobIds: readonly number[]): Promise<JobVersionRow[]> {
  const rows = await sql.query<JobVersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM job_versions WHERE job_id = ANY($1::int[]) ORDER BY job_id, created_at DESC, id DESC`,
    [jobIds],
  );
  return rows.map(dated);
}

/**
 * The current version of each job: that of its latest run (by first event time), else of its
 * latest JobEvent.
 */
export async function currentVersions(sql: SqlQueryable, jobIds: readonly number[]): Promise<{ jobId: number; versionId: number }[]> {
  return sql.query(
    `SELECT j.id AS "jobId", coalesce(
       (SELECT r.job_version_id FROM pipeline_runs r WHERE r.job_id = j.id AND r.job_version_id IS NOT NULL ORDER BY r.first_event_at DESC NULLS LAST, r.run_uuid DESC LIMIT 1),
       (SELECT v.id FROM job_versions v WHERE v.job_id = j.id ORDER BY v.created_at DESC, v.version DESC LIMIT 1)) AS "versionId"
     FROM jobs j WHERE j.id = ANY($1::int[])`,
    [jobIds],
  );
}

/**
 * The datasets each job version reads and writes: what its runs declared, and its JobEvents'
 * static lineage.
 */
export async function versionDatasets(
  sql: SqlQueryable,
  versionIds: readonly number[],
): Promise<{ jobVersionId: number; datasetId: number; direction: 'INPUT' | 'OUTPUT' }[]> {
  return sql.query(
    `SELECT DISTINCT r.job_version_id AS "jobVersionId", x.dataset_id AS "datasetId", x.direction
       FROM pipeline_runs r JOIN pipeline_run_datasets x ON x.pipeline_run_id = r.id WHERE r.job_version_id = ANY($1::int[])
     UNION
     SELECT job_version_id, dataset_id, direction FROM job_datasets WHERE job_version_id = ANY($1::int[])
     ORDER BY 1, 3, 2`,
    [versionIds],
  );
}

/** Runs of jobs, newest first, a page per job set (by first event time, then id). */
export async function runIdsOfJobs(sql: SqlQueryable, jobIds: readonly number[], limit: number, offset: number): Promise<{ jobId: number; runId: number }[]> {
  return sql.query(
    `SELECT job_id AS "jobId", id AS "runId" FROM (
       SELECT job_id, id, row_number() OVER (PARTITION BY job_id ORDER BY first_event_at DESC NULLS LAST, id DESC) AS n
       FROM pipeline_runs WHERE job_id = ANY($1::int[])) x
     WHERE n > $3 AND n <= $2 + $3 ORDER BY job_id, n`,
    [jobIds, limit, offset],
  );
}

/** Ids of jobs (of one namespace, or all) in the projects given (null: every one), by namespace and name, with how many there are. */
export async function listJobIds(
  sql: SqlQueryable,
  namespace: string | null,
  projectIds: readonly number[] | null,
  limit: number,
  offset: number,
): Promise<{ ids: number[]; total: number }> {
  const where = '($1::text IS NULL OR namespace = $1) AND ($2::int[] IS NULL OR project_id = ANY($2::int[]))';
  const params = [namespace, projectIds ? [...projectIds] : null];
  const rows = await sql.query<{ id: number }>(`SELECT id FROM jobs WHERE ${where} ORDER BY namespace, name LIMIT $3 OFFSET $4`, [...params, limit, offset]);
  const [count] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE ${where}`, params);
  return { ids: rows.map((r) => r.id), total: count?.n ?? 0 };
}

/** Jobs (with the version) that read or write these datasets, by their runs' declarations and JobEvents. */
export async function jobsTouching(
  sql: SqlQueryable,
  datasetIds: readonly number[],
): Promise<{ jobId: number; jobVersionId: number; datasetId: number; direction: 'INPUT' | 'OUTPUT' }[]> {
  if (datasetIds.length === 0) return [];
  return sql.query(
    `SELECT DISTINCT r.job_id AS "jobId", r.job_version_id AS "jobVersionId", x.dataset_id AS "datasetId", x.direction
       FROM pipeline_run_datasets x JOIN pipeline_runs r ON r.id = x.pipeline_run_id
      WHERE x.dataset_id = ANY($1::int[]) AND r.job_version_id IS NOT NULL
     UNION
     SELECT v.job_id, v.id, d.dataset_id, d.direction FROM job_datasets d JOIN job_versions v ON v.id = d.job_version_id WHERE d.dataset_id = ANY($1::int[])`,
    [datasetIds],
  );
}

/** Training runs that read a version of these datasets (INPUT_TO edges to runs), with the models registered from them. */
export async function trainingReaders(
  sql: SqlQueryable,
  datasetIds: readonly number[],
): Promise<{ datasetId: number; runId: number; modelVersionIds: number[] }[]> {
  if (datasetIds.length === 0) return [];
  return sql.query(
    `SELECT DISTINCT v.dataset_id AS "datasetId", e.to_id AS "runId",
            coalesce((SELECT array_agg(m.id ORDER BY m.id) FROM model_versions m WHERE m.run_id = e.to_id), '{}') AS "modelVersionIds"
     FROM lineage_edges e JOIN dataset_versions v ON v.id = e.from_id
     JOIN runs r ON r.id = e.to_id AND r.deleted_at IS NULL
     WHERE e.from_type = 'DatasetVersion' AND e.to_type = 'Run' AND e.kind = 'INPUT_TO' AND v.dataset_id = ANY($1::int[])
     ORDER BY 1, 2`,
    [datasetIds],
  );
}
