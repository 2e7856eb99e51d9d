// SQL of pipeline runs, the raw OpenLineage event log, and the dataset rows an event touches.
// Every write takes the caller's transaction, so one event commits whole or not at all.
import type { SqlQueryable } from '../../db/sql.js';
import type { PipelineRunState, StoredFacets } from './rules.js';

export interface PipelineRunRow {
  id: number;
  projectId: number;
  runUuid: string;
  jobNamespace: string;
  jobName: string;
  state: PipelineRunState;
  stateAt: Date | null;
  startedAt: Date | null;
  endedAt: Date | null;
  nominalStartTime: Date | null;
  nominalEndTime: Date | null;
  parentRunUuid: string | null;
  parentJobNamespace: string | null;
  parentJobName: string | null;
  errorMessage: string | null;
  runFacets: StoredFacets;
  jobFacets: StoredFacets;
  createdAt: Date;
  updatedAt: Date;
  /** Event time of the earliest event about it; null for a run known only as a parent. */
  firstEventAt: Date | null;
  jobId: number | null;
  jobVersionId: number | null;
}

const RUN_COLUMNS = `id, project_id AS "projectId", run_uuid AS "runUuid", job_namespace AS "jobNamespace", job_name AS "jobName",
  state::text AS state, state_at AS "stateAt", started_at AS "startedAt", ended_at AS "endedAt",
  nominal_start_time AS "nominalStartTime", nominal_end_time AS "nominalEndTime", parent_run_uuid AS "parentRunUuid",
  parent_job_namespace AS "parentJobNamespace", parent_job_name AS "parentJobName", error_message AS "errorMessage",
  run_facets AS "runFacets", job_facets AS "jobFacets", created_at AS "createdAt", updated_at AS "updatedAt",
  first_event_at AS "firstEventAt", job_id AS "jobId", job_version_id AS "jobVersionId"`;

const DATE_FIELDS = ['stateAt', 'startedAt', 'endedAt', 'nominalStartTime', 'nominalEndTime', 'createdAt', 'updatedAt', 'firstEventAt'] as const;

function toRun(row: PipelineRunRow): PipelineRunRow {
  const out = { ...row } as Record<string, unknown>;
  for (const f of DATE_FIELDS) out[f] = row[f] == null ? null : new Date(row[f] as Date);
  return out as unknown as PipelineRunRow;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function pipelineRunsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<PipelineRunRow[]> {
  const rows = await sql.query<PipelineRunRow>(`SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE id = ANY($1::int[])`, [ids]);
  return rows.map(toRun);
}

export async function pipelineRunsByUuids(sql: SqlQueryable, uuids: readonly string[]): Promise<PipelineRunRow[]> {
  const rows = await sql.query<PipelineRunRow>(`SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE run_uuid = ANY($1::text[])`, [uuids]);
  return rows.map(toRun);
}

/** A run row made for a parent facet, before any event of the run itself arrived. */
export function isBareParent(run: PipelineRunRow): boolean {
  return run.state === 'UNKNOWN' && run.stateAt === null && Object.keys(run.runFacets).length === 0 && Object.keys(run.jobFacets).length === 0;
}

/** The run, created as a bare UNKNOWN row when new, locked for this transaction. */
export async function lockPipelineRun(
  tx: SqlQueryable,
  key: { runUuid: string; projectId: number; jobNamespace: string; jobName: string; now: Date },
): Promise<PipelineRunRow> {
  await tx.query(
    `INSERT INTO pipeline_runs (project_id, run_uuid, job_namespace, job_name, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5::timestamptz, $5::timestamptz) ON CONFLICT (run_uuid) DO NOTHING`,
    [key.projectId, key.runUuid, key.jobNamespace, key.jobName, key.now.toISOString()],
  );
  const rows = await tx.query<PipelineRunRow>(`SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE run_uuid = $1 FOR UPDATE`, [key.runUuid]);
  return toRun(rows[0]!);
}

export async function savePipelineRun(tx: SqlQueryable, run: PipelineRunRow): Promise<void> {
  await tx.query(
    `UPDATE pipeline_runs SET project_id = $17, job_namespace = $2, job_name = $3, state = $4::"PipelineRunState", state_at = $5::timestamptz,
       started_at = $6::timestamptz, ended_at = $7::timestamptz, nominal_start_time = $8::timestamptz, nominal_end_time = $9::timestamptz,
       parent_run_uuid = $10, parent_job_namespace = $11, parent_job_name = $12, error_message = $13,
       run_facets = $14::jsonb, job_facets = $15::jsonb, updated_at = $16::timestamptz, first_event_at = $18::timestamptz, job_id = $19, job_version_id = $20
     WHERE id = $1`,
    [
      run.id,
      run.jobNamespace,
      run.jobName,
      run.state,
      iso(run.stateAt),
      iso(run.startedAt),
      iso(run.endedAt),
      iso(run.nominalStartTime),
      iso(run.nominalEndTime),
      run.parentRunUuid,
      run.parentJobNamespace,
      run.parentJobName,
      run.errorMessage,
      JSON.stringify(run.runFacets),
      JSON.stringify(run.jobFacets),
      run.updatedAt.toISOString(),
      run.projectId,
      iso(run.firstEventAt),
      run.jobId,
      run.jobVersionId,
    ],
  );
}

/** The edges a run has from its code commit and its parent run. */
export async function runSourceEdges(tx: SqlQueryable, runId: number): Promise<{ id: number; fromType: string; fromId: number }[]> {
  return tx.query(
    `SELECT id, from_type AS "fromType", from_id AS "fromId" FROM lineage_edges
     WHERE to_type = 'PipelineRun' AND to_id = $1 AND ((from_type = 'CodeCommit' AND kind = 'INPUT_TO') OR (from_type = 'PipelineRun' AND kind = 'PARENT_OF'))`,
    [runId],
  );
}

export interface RawEvent {
  digest: string;
  projectId: number;
  eventType: string | null;
  eventTime: Date;
  runUuid: string | null;
  schemaUrl: string | null;
  warnings: string[];
  body: unknown;
  actor: string | null;
}

/** Keeps the raw event; false when an event with the same digest is already kept (a retry). */
export async function insertRawEvent(tx: SqlQueryable, event: RawEvent, now: Date): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO openlineage_events (digest, project_id, event_type, event_time, run_uuid, schema_url, body, actor, received_at, warnings)
     VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7::jsonb, $8, $9::timestamptz, $10::text[]) ON CONFLICT (digest) DO NOTHING RETURNING id`,
    [
      event.digest,
      event.projectId,
      event.eventType,
      event.eventTime.toISOString(),
      event.runUuid,
      event.schemaUrl,
      JSON.stringify(event.body),
      event.actor,
      now.toISOString(),
      event.warnings,
    ],
  );
  return rows.length > 0;
}

export interface KeptEvent {
  id: number;
  projectId: number;
  actor: string | null;
  body: unknown;
}

export async function keptEvents(sql: SqlQueryable, afterId: number, limit: number): Promise<KeptEvent[]> {
  return sql.query<KeptEvent>('SELECT id, project_id AS "projectId", actor, body FROM openlineage_events WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit]);
}

export async function rawEventExists(sql: SqlQueryable, digest: string): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM openlineage_events WHERE digest = $1', [digest])).length > 0;
}

export interface DatasetKey {
  namespace: string;
  name: string;
}

export async function datasetsByKeys(
  sql: SqlQueryable,
  keys: readonly DatasetKey[],
): Promise<{ id: number; namespace: string; name: string; projectId: number; claimed: boolean }[]> {
  if (keys.length === 0) return [];
  return sql.query(
    `SELECT d.id, d.namespace, d.name, d.project_id AS "projectId", d.claimed FROM datasets d
     JOIN unnest($1::text[], $2::text[]) AS k(ns, n) ON d.namespace = k.ns AND d.name = k.n`,
    [keys.map((k) => k.namespace), keys.map((k) => k.name)],
  );
}

export interface DatasetRow {
  id: number;
  projectId: number;
  /** False while only read: the first project to write it may claim it. */
  claimed: boolean;
  facets: StoredFacets | null;
}

/**
 * The dataset, created in `projectId` when new (claimed when created by a write); an existing
 * one (perhaps created by a concurrent writer a moment ago) keeps its project, which the caller
 * must then check. Dated no later than `at`. The caller holds the dataset's key lock.
 */
export async function ensureDataset(tx: SqlQueryable, key: DatasetKey, projectId: number, at: Date, claimed: boolean): Promise<DatasetRow> {
  await tx.query(
    `INSERT INTO datasets (namespace, name, project_id, created_at, claimed) VALUES ($1, $2, $3, $4::timestamptz, $5) ON CONFLICT (namespace, name) DO NOTHING`,
    [key.namespace, key.name, projectId, at.toISOString(), claimed],
  );
  const rows = await tx.query<DatasetRow & { createdAt: Date }>(
    'SELECT id, project_id AS "projectId", claimed, facets, created_at AS "createdAt" FROM datasets WHERE namespace = $1 AND name = $2',
    [key.namespace, key.name],
  );
  const { createdAt, ...row } = rows[0]!;
  if (new Date(createdAt) > at) await tx.query('UPDATE datasets SET created_at = $2::timestamptz WHERE id = $1', [row.id, at.toISOString()]);
  return row;
}

/** Moves an unclaimed dataset into the project writing it; false when someone claimed it first. */
export async function claimDataset(tx: SqlQueryable, datasetId: number, projectId: number): Promise<boolean> {
  const rows = await tx.query('UPDATE datasets SET project_id = $2, claimed = true WHERE id = $1 AND NOT claimed RETURNING id', [datasetId, projectId]);
  return rows.length > 0;
}

export async function saveDatasetFacets(tx: SqlQueryable, datasetId: number, facets: StoredFacets): Promise<void> {
  await tx.query('UPDATE datasets SET facets = $2::jsonb WHERE id = $1', [datasetId, JSON.stringify(facets)]);
}

export interface VersionRow {
  id: number;
  facets: StoredFacets | null;
  createdAt: Date;
  /** When it was dated before this write moved it earlier; null when new or unmoved. */
  previousCreatedAt: Date | null;
  inserted: boolean;
}

/**
 * The version with this label, created (with the given digest, at `at`) when new, locked for
 * this transaction. A version that OpenLineage named (its digest is `digest`) is dated by the
 * earliest event naming it, so its date never depends on which event arrived first.
 */
export async function lockVersion(tx: SqlQueryable, datasetId: number, label: string, digest: string, actor: string | null, at: Date): Promise<VersionRow> {
  const inserted = await tx.query(
    `INSERT INTO dataset_versions (dataset_id, version, digest, created_by, created_at) VALUES ($1, $2, $3, $4, $5::timestamptz)
     ON CONFLICT DO NOTHING RETURNING id`,
    [datasetId, label, digest, actor, at.toISOString()],
  );
  const rows = await tx.query<{ id: number; facets: StoredFacets | null; createdAt: Date; digest: string }>(
    'SELECT id, facets, created_at AS "createdAt", digest FROM dataset_versions WHERE dataset_id = $1 AND version = $2 FOR UPDATE',
    [datasetId, label],
  );
  const row = rows[0]!;
  const createdAt = new Date(row.createdAt);
  if (inserted.length === 0 && row.digest === digest && createdAt > at) {
    await tx.query('UPDATE dataset_versions SET created_at = $2::timestamptz WHERE id = $1', [row.id, at.toISOString()]);
    return { id: row.id, facets: row.facets, createdAt: at, previousCreatedAt: createdAt, inserted: false };
  }
  return { id: row.id, facets: row.facets, createdAt, previousCreatedAt: null, inserted: inserted.length > 0 };
}

/**
 * Saves a version's facets; its schema column follows the schema facet (fields) when the
 * version came from OpenLineage, or had no schema of its own.
 */
export async function saveVersionFacets(tx: SqlQueryable, versionId: number, facets: StoredFacets, lineageDigest: string): Promise<void> {
  const fields = (facets.schema?.value as { fields?: unknown } | undefined)?.fields;
  const schema = Array.isArray(fields) ? JSON.stringify({ fields }) : null;
  await tx.query(
    `UPDATE dataset_versions SET facets = $2::jsonb,
       schema = CASE WHEN $3::jsonb IS NULL THEN schema WHEN digest = $4 OR schema IS NULL THEN $3::jsonb ELSE schema END
     WHERE id = $1`,
    [versionId, JSON.stringify(facets), schema, lineageDigest],
  );
}

export async function linkRunDataset(tx: SqlQueryable, runId: number, datasetId: number, direction: 'INPUT' | 'OUTPUT', at: Date): Promise<void> {
  await tx.query(
    `INSERT INTO pipeline_run_datasets (pipeline_run_id, dataset_id, direction, first_seen_at) VALUES ($1, $2, $3, $4::timestamptz)
     ON CONFLICT (pipeline_run_id, dataset_id, direction) DO UPDATE SET first_seen_at = LEAST(pipeline_run_datasets.first_seen_at, EXCLUDED.first_seen_at)`,
    [runId, datasetId, direction, at.toISOString()],
  );
}

/** The code commit node of a repository and sha, created when new. */
export async function ensureCommit(tx: SqlQueryable, repository: string, commit: string, at: Date): Promise<number> {
  await tx.query('INSERT INTO code_commits (repository, commit, created_at) VALUES ($1, $2, $3::timestamptz) ON CONFLICT DO NOTHING', [
    repository,
    commit,
    at.toISOString(),
  ]);
  const rows = await tx.query<{ id: number }>('SELECT id FROM code_commits WHERE repository = $1 AND commit = $2', [repository, commit]);
  return rows[0]!.id;
}

/** Datasets a run declared, per direction, for `PipelineRun.inputs/outputs`. */
export async function runDatasets(
  sql: SqlQueryable,
  runIds: readonly number[],
): Promise<{ pipelineRunId: number; datasetId: number; direction: 'INPUT' | 'OUTPUT' }[]> {
  return sql.query(
    `SELECT pipeline_run_id AS "pipelineRunId", dataset_id AS "datasetId", direction FROM pipeline_run_datasets
     WHERE pipeline_run_id = ANY($1::int[]) ORDER BY pipeline_run_id, direction, dataset_id`,
    [runIds],
  );
}

/** Versions (recorded at or before `at`, when given) of the datasets a run declared as outputs. */
export async function declaredOutputVersions(sql: SqlQueryable, runId: number, at: Date | null): Promise<number[]> {
  const rows = await sql.query<{ id: number }>(
    `SELECT v.id FROM pipeline_run_datasets p JOIN dataset_versions v ON v.dataset_id = p.dataset_id
     WHERE p.pipeline_run_id = $1 AND p.direction = 'OUTPUT' AND ($2::timestamptz IS NULL OR v.created_at <= $2::timestamptz) ORDER BY v.id`,
    [runId, at ? at.toISOString() : null],
  );
  return rows.map((r) => r.id);
}

export interface KeptEventRow {
  id: number;
  projectId: number;
  eventType: string | null;
  eventTime: Date;
  runUuid: string | null;
  schemaUrl: string | null;
  warnings: string[];
  receivedAt: Date;
  body: unknown;
}

const EVENT_COLUMNS = `id, project_id AS "projectId", event_type AS "eventType", event_time AS "eventTime", run_uuid AS "runUuid",
  schema_url AS "schemaUrl", warnings, received_at AS "receivedAt", body`;

const toEvent = (r: KeptEventRow): KeptEventRow => ({
  ...r,
  id: Number(r.id),
  eventTime: new Date(r.eventTime),
  receivedAt: new Date(r.receivedAt),
  warnings: r.warnings ?? [],
});

/** Raw events of runs, in event-time order (then arrival), after the event id `afterId` of that order. */
export async function eventsOfRuns(sql: SqlQueryable, runUuids: readonly string[], limit: number, offset: number): Promise<KeptEventRow[]> {
  const rows = await sql.query<KeptEventRow>(
    `SELECT ${EVENT_COLUMNS} FROM (
       SELECT *, row_number() OVER (PARTITION BY run_uuid ORDER BY event_time, id) AS n FROM openlineage_events WHERE run_uuid = ANY($1::text[])) e
     WHERE n > $3 AND n <= $2 + $3 ORDER BY run_uuid, n`,
    [runUuids, limit, offset],
  );
  return rows.map(toEvent);
}

/** Raw events of the projects given (null: all), newest or oldest first, within an event-time window. */
export async function eventsPage(
  sql: SqlQueryable,
  projectIds: readonly number[] | null,
  options: { before: Date | null; after: Date | null; limit: number; offset: number; newestFirst: boolean },
): Promise<{ events: KeptEventRow[]; total: number }> {
  const where = `($1::int[] IS NULL OR project_id = ANY($1::int[])) AND ($2::timestamptz IS NULL OR event_time < $2) AND ($3::timestamptz IS NULL OR event_time > $3)`;
  const params = [projectIds ? [...projectIds] : null, options.before?.toISOString() ?? null, options.after?.toISOString() ?? null];
  const order = options.newestFirst ? 'event_time DESC, id DESC' : 'event_time, id';
  const rows = await sql.query<KeptEventRow>(`SELECT ${EVENT_COLUMNS} FROM openlineage_events WHERE ${where} ORDER BY ${order} LIMIT $4 OFFSET $5`, [
    ...params,
    options.limit,
    options.offset,
  ]);
  const [count] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM openlineage_events WHERE ${where}`, params);
  return { events: rows.map(toEvent), total: count?.n ?? 0 };
}
