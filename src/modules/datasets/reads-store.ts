// SQL of dataset reads (dataset_reads) and of what deriving their INPUT_TO edges needs: the
// version current at an instant, the edges a reader has now, the datasets' row locks.
import type { SqlQueryable } from '../../db/sql.js';
import { UNVERSIONED } from '../pipelines/rules.js';

export type ReaderType = 'PipelineRun' | 'Run';

export interface Reader {
  type: ReaderType;
  id: number;
}

export interface DatasetKey {
  namespace: string;
  name: string;
}

export interface ReadInput extends DatasetKey {
  reader: Reader;
  role: string;
  /** The version the reader named; '' for none. */
  version: string;
  readAt: Date;
  mayWrite: boolean;
  actorUserId: number | null;
}

export interface ReadRow extends DatasetKey {
  role: string;
  version: string;
  readAt: Date;
  mayWrite: boolean;
  actorUserId: number | null;
}

/**
 * Locks the datasets' keys for this transaction, in one order, so two transactions deriving
 * edges of one dataset never interleave (and never deadlock on each other's keys).
 */
export async function lockKeys(tx: SqlQueryable, keys: readonly DatasetKey[]): Promise<void> {
  const unique = [...new Set(keys.map((k) => JSON.stringify([k.namespace, k.name])))].sort();
  for (const k of unique) await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 24))`, [k]);
}

/** Records a read; the same read again keeps the earliest time, and may write if either did. */
export async function upsertRead(tx: SqlQueryable, read: ReadInput, now: Date): Promise<void> {
  await tx.query(
    `INSERT INTO dataset_reads (namespace, name, reader_type, reader_id, role, version, read_at, may_write, actor_user_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9, $10::timestamptz)
     ON CONFLICT (reader_type, reader_id, namespace, name, version, role) DO UPDATE SET
       read_at = LEAST(dataset_reads.read_at, EXCLUDED.read_at),
       may_write = dataset_reads.may_write OR EXCLUDED.may_write,
       actor_user_id = CASE WHEN dataset_reads.actor_user_id IS NULL OR EXCLUDED.actor_user_id IS NULL THEN NULL ELSE dataset_reads.actor_user_id END`,
    [
      read.namespace,
      read.name,
      read.reader.type,
      read.reader.id,
      read.role,
      read.version,
      read.readAt.toISOString(),
      read.mayWrite,
      read.actorUserId,
      now.toISOString(),
    ],
  );
}

export async function readsOf(tx: SqlQueryable, reader: Reader, key: DatasetKey): Promise<ReadRow[]> {
  const rows = await tx.query<ReadRow>(
    `SELECT namespace, name, role, version, read_at AS "readAt", may_write AS "mayWrite", actor_user_id AS "actorUserId"
     FROM dataset_reads WHERE reader_type = $1 AND reader_id = $2 AND namespace = $3 AND name = $4 ORDER BY role, version`,
    [reader.type, reader.id, key.namespace, key.name],
  );
  return rows.map((r) => ({ ...r, readAt: new Date(r.readAt) }));
}

/**
 * Readers whose edges may change when a version of the dataset appears at `from` (or moves
 * from `to` to `from`): those that named no version and read in [from, the next version after
 * `to`), and those that named `label`.
 */
export async function readersToRecheck(tx: SqlQueryable, key: DatasetKey, datasetId: number, from: Date, to: Date, label: string): Promise<Reader[]> {
  const rows = await tx.query<{ type: ReaderType; id: number }>(
    `WITH upper AS (
       SELECT min(created_at) AS at FROM dataset_versions WHERE dataset_id = $3 AND version <> $6 AND created_at > $5::timestamptz)
     SELECT DISTINCT r.reader_type AS type, r.reader_id AS id FROM dataset_reads r, upper
     WHERE r.namespace = $1 AND r.name = $2
       AND ((r.version = '' AND r.read_at >= $4::timestamptz AND (upper.at IS NULL OR r.read_at < upper.at)) OR r.version = $7)
     ORDER BY 1, 2`,
    [key.namespace, key.name, datasetId, from.toISOString(), to.toISOString(), UNVERSIONED, label],
  );
  return rows;
}

export interface DatasetRow {
  id: number;
  projectId: number;
}

export async function datasetByKey(tx: SqlQueryable, key: DatasetKey): Promise<DatasetRow | null> {
  const rows = await tx.query<DatasetRow>('SELECT id, project_id AS "projectId" FROM datasets WHERE namespace = $1 AND name = $2', [key.namespace, key.name]);
  return rows[0] ?? null;
}

/**
 * The version current at `at`: the newest recorded at or before it (ties: the greatest label,
 * so the answer never depends on which was inserted first). Placeholders are never current.
 */
export async function versionAt(tx: SqlQueryable, datasetId: number, at: Date): Promise<{ id: number } | null> {
  const rows = await tx.query<{ id: number }>(
    `SELECT id FROM dataset_versions WHERE dataset_id = $1 AND version <> $3 AND created_at <= $2::timestamptz
     ORDER BY created_at DESC, version DESC LIMIT 1`,
    [datasetId, at.toISOString(), UNVERSIONED],
  );
  return rows[0] ?? null;
}

export async function versionsByLabels(tx: SqlQueryable, datasetId: number, labels: readonly string[]): Promise<{ id: number; version: string }[]> {
  if (labels.length === 0) return [];
  return tx.query('SELECT id, version FROM dataset_versions WHERE dataset_id = $1 AND version = ANY($2::text[])', [datasetId, labels]);
}

/** The INPUT_TO edges from versions of the dataset to the reader, as they stand. */
export async function linksOf(tx: SqlQueryable, reader: Reader, datasetId: number): Promise<{ edgeId: number; versionId: number }[]> {
  return tx.query(
    `SELECT e.id AS "edgeId", e.from_id AS "versionId" FROM lineage_edges e JOIN dataset_versions v ON v.id = e.from_id
     WHERE e.to_type = $1 AND e.to_id = $2 AND e.kind = 'INPUT_TO' AND e.from_type = 'DatasetVersion' AND v.dataset_id = $3`,
    [reader.type, reader.id, datasetId],
  );
}

/** Versions a training run logged itself (logInputs): links no derivation may take away. */
export async function loggedInputs(tx: SqlQueryable, runId: number, versionIds: readonly number[]): Promise<Set<number>> {
  if (versionIds.length === 0) return new Set();
  const rows = await tx.query<{ id: number }>(
    'SELECT DISTINCT dataset_version_id AS id FROM run_dataset_inputs WHERE run_id = $1 AND dataset_version_id = ANY($2::int[])',
    [runId, versionIds],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Whether a user may see a project now: a global admin, or any role in it. A training run's
 * read is linked only to data its user may see, decided when the link is derived (the
 * dataset may appear long after the run logged it).
 */
export async function userMaySee(tx: SqlQueryable, userId: number, projectId: number): Promise<boolean> {
  const rows = await tx.query<{ ok: boolean }>(
    `SELECT coalesce((SELECT is_admin FROM users WHERE id = $1), false)
            OR EXISTS (SELECT 1 FROM project_roles WHERE user_id = $1 AND project_id = $2) AS ok`,
    [userId, projectId],
  );
  return rows[0]?.ok === true;
}

/** The dataset's placeholder version (what a read links to before any version is known), created when missing, dated no later than `at`. */
export async function ensurePlaceholder(tx: SqlQueryable, datasetId: number, digest: string, at: Date): Promise<number> {
  await tx.query(
    `INSERT INTO dataset_versions (dataset_id, version, digest, created_at) VALUES ($1, $2, $3, $4::timestamptz)
     ON CONFLICT (dataset_id, version) DO UPDATE SET created_at = EXCLUDED.created_at WHERE dataset_versions.created_at > EXCLUDED.created_at`,
    [datasetId, UNVERSIONED, digest, at.toISOString()],
  );
  const rows = await tx.query<{ id: number }>('SELECT id FROM dataset_versions WHERE dataset_id = $1 AND version = $2', [datasetId, UNVERSIONED]);
  return rows[0]!.id;
}

/**
 * Removes placeholder versions nothing refers to any more (every read they stood for found
 * its version), so a graph built from events in any order holds the same versions.
 */
export async function dropLonePlaceholders(tx: SqlQueryable, versionIds: readonly number[]): Promise<void> {
  if (versionIds.length === 0) return;
  await tx.query(
    `DELETE FROM dataset_versions v WHERE v.id = ANY($1::int[]) AND v.version = $2
       AND NOT EXISTS (SELECT 1 FROM lineage_edges e WHERE e.from_type = 'DatasetVersion' AND e.from_id = v.id)
       AND NOT EXISTS (SELECT 1 FROM lineage_edges e WHERE e.to_type = 'DatasetVersion' AND e.to_id = v.id)
       AND NOT EXISTS (SELECT 1 FROM run_dataset_inputs i WHERE i.dataset_version_id = v.id)
       AND NOT EXISTS (SELECT 1 FROM dataset_derivations x WHERE x.child_id = v.id OR x.parent_id = v.id)
       AND NOT EXISTS (SELECT 1 FROM dataset_quarantines q WHERE q.dataset_version_id = v.id)
       AND NOT EXISTS (SELECT 1 FROM dataset_quarantine_events q WHERE q.dataset_version_id = v.id)`,
    [versionIds, UNVERSIONED],
  );
}
