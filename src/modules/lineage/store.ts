// SQL of the lineage edge table and its outbox. An EdgeRecorder is what every feature that links
// two nodes calls, inside its own transaction, so a link and its lineage edge commit together.
// Outbox rows are written only when a Neo4j projection consumes them: without one nothing
// would ever mark them done, and the table would grow forever. Edges recorded while no
// projection was configured are queued later by `queueUnprojectedEdges` (the sync worker's
// first drain) or projected by `npm run lineage:rebuild`.
import type { SqlQueryable } from '../../db/sql.js';
import type { CodeCommit, Prisma } from '../../generated/prisma/client.js';
import type { EdgeKind, LineageEdge, NodeRef, NodeType } from './graph.js';

export interface EdgeInput {
  from: NodeRef;
  to: NodeRef;
  kind: EdgeKind;
  role?: string | null;
}

/** A Prisma interactive-transaction client or the SQL port's transaction: either can record edges. */
export type EdgeWriter = SqlQueryable | { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> };

async function run<R>(tx: EdgeWriter, text: string, params: unknown[]): Promise<R[]> {
  if ('$queryRawUnsafe' in tx) return tx.$queryRawUnsafe<R[]>(text, ...params);
  return tx.query<R>(text, params);
}

/** Records lineage edges on the caller's transaction; returns how many were new. */
export type EdgeRecorder = (tx: EdgeWriter, edges: readonly EdgeInput[], now?: Date) => Promise<number>;

/** The recorder the services use: it queues edges for Neo4j only when a projection is configured. */
export function edgeRecorder(options: { outbox: boolean }): EdgeRecorder {
  return (tx, edges, now) => recordEdges(tx, edges, now, options);
}

/** Takes wrong edges out (see retractEdges) on the caller's transaction; returns how many moved. */
export type EdgeRetractor = (tx: SqlQueryable, edgeIds: readonly number[], reason: string, now: Date) => Promise<number>;

/** The retractor the services use: it queues removals for Neo4j only when a projection is configured. */
export function edgeRetractor(options: { outbox: boolean }): EdgeRetractor {
  return (tx, edgeIds, reason, now) => retractEdges(tx, edgeIds, reason, now, options);
}

/**
 * Inserts the edges and, with `outbox`, one outbox row per edge added or changed, in one
 * statement on the caller's transaction. A link recorded again (a retry) adds nothing; recorded
 * again with an earlier time (an event that arrived late but happened first) it moves the
 * edge's time earlier, so the times end the same whatever order the writes came in.
 * Returns how many edges were new.
 */
export async function recordEdges(
  tx: EdgeWriter,
  edges: readonly EdgeInput[],
  now: Date = new Date(),
  options: { outbox: boolean } = { outbox: true },
): Promise<number> {
  if (edges.length === 0) return 0;
  const params: unknown[] = [];
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const at = add(now.toISOString());
  // Plain scalar parameters (no arrays), so Prisma's raw queries pass them on every driver adapter.
  const values = edges.map(
    (e) => `(${add(e.from.type)}, ${add(e.from.id)}::int, ${add(e.to.type)}, ${add(e.to.id)}::int, ${add(e.kind)}, ${add(e.role ?? null)}::text)`,
  );
  // xmax = 0 tells a row this statement inserted from one whose time it moved earlier.
  const added = `added AS (
       INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, role, created_at)
       SELECT v.ft, v.fid, v.tt, v.tid, v.k, v.r, ${at}::timestamptz FROM (VALUES ${values.join(', ')}) AS v(ft, fid, tt, tid, k, r)
       ON CONFLICT (from_type, from_id, to_type, to_id, kind) DO UPDATE SET created_at = EXCLUDED.created_at
         WHERE lineage_edges.created_at > EXCLUDED.created_at
       RETURNING id, (xmax = 0) AS inserted)`;
  const rows = await run<{ n: number }>(
    tx,
    options.outbox
      ? `WITH ${added},
         queued AS (INSERT INTO lineage_outbox (edge_id, created_at) SELECT id, ${at}::timestamptz FROM added RETURNING 1)
         SELECT count(*) FILTER (WHERE inserted)::int AS n, (SELECT count(*) FROM queued)::int AS q FROM added`
      : `WITH ${added} SELECT count(*) FILTER (WHERE inserted)::int AS n FROM added`,
    params,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Takes edges out of lineage_edges into lineage_edge_retractions (with when and why), on the
 * caller's transaction, and with `outbox` queues their removal from the projection. Their
 * pending outbox rows are dropped first: the retraction supersedes them. Returns how many moved.
 */
export async function retractEdges(tx: SqlQueryable, edgeIds: readonly number[], reason: string, now: Date, options: { outbox: boolean }): Promise<number> {
  if (edgeIds.length === 0) return 0;
  await tx.query(`SELECT set_config('runledger.retracting_edges', 'on', true)`);
  await tx.query('DELETE FROM lineage_outbox WHERE edge_id = ANY($1::bigint[])', [edgeIds]);
  const moved = `moved AS (DELETE FROM lineage_edges WHERE id = ANY($1::bigint[]) RETURNING *),
     logged AS (
       INSERT INTO lineage_edge_retractions (edge_id, from_type, from_id, to_type, to_id, kind, role, created_at, retracted_at, reason)
       SELECT id, from_type, from_id, to_type, to_id, kind, role, created_at, $2::timestamptz, $3 FROM moved RETURNING id)`;
  const rows = await tx.query<{ n: number }>(
    options.outbox
      ? `WITH ${moved}, queued AS (INSERT INTO lineage_outbox (retraction_id, created_at) SELECT id, $2::timestamptz FROM logged RETURNING 1)
         SELECT count(*)::int AS n FROM queued`
      : `WITH ${moved} SELECT count(*)::int AS n FROM logged`,
    [edgeIds, now.toISOString(), reason],
  );
  await tx.query(`SELECT set_config('runledger.retracting_edges', 'off', true)`);
  return Number(rows[0]?.n ?? 0);
}

export interface StoredEdge extends LineageEdge {
  readonly id: number;
}

export interface OutboxItem {
  readonly outboxId: number;
  /** ADD: project the edge (new, or its time moved earlier); RETRACT: remove it. */
  readonly action: 'ADD' | 'RETRACT';
  readonly edge: StoredEdge;
  readonly attempts: number;
}

interface EdgeRow {
  id: number;
  from_type: string;
  from_id: number;
  to_type: string;
  to_id: number;
  kind: string;
  role: string | null;
  created_at: Date | string;
}

const EDGE_COLUMNS = 'e.id, e.from_type, e.from_id, e.to_type, e.to_id, e.kind, e.role, e.created_at';

function toStoredEdge(row: EdgeRow): StoredEdge {
  return {
    id: Number(row.id),
    from: { type: row.from_type as NodeType, id: row.from_id },
    to: { type: row.to_type as NodeType, id: row.to_id },
    kind: row.kind as EdgeKind,
    role: row.role,
    createdAt: new Date(row.created_at),
  };
}

/** The oldest pending outbox rows that are due, with their edges. */
export async function pendingOutbox(sql: SqlQueryable, limit: number): Promise<OutboxItem[]> {
  const rows = await sql.query<EdgeRow & { outbox_id: number; attempts: number; action: 'ADD' | 'RETRACT' }>(
    `SELECT o.id AS outbox_id, o.attempts, CASE WHEN o.edge_id IS NULL THEN 'RETRACT' ELSE 'ADD' END AS action,
            coalesce(e.id, x.edge_id) AS id, coalesce(e.from_type, x.from_type) AS from_type, coalesce(e.from_id, x.from_id) AS from_id,
            coalesce(e.to_type, x.to_type) AS to_type, coalesce(e.to_id, x.to_id) AS to_id, coalesce(e.kind, x.kind) AS kind,
            CASE WHEN e.id IS NULL THEN x.role ELSE e.role END AS role, coalesce(e.created_at, x.created_at) AS created_at
     FROM lineage_outbox o LEFT JOIN lineage_edges e ON e.id = o.edge_id LEFT JOIN lineage_edge_retractions x ON x.id = o.retraction_id
     WHERE o.done_at IS NULL AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())
     ORDER BY o.id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ outboxId: Number(r.outbox_id), action: r.action, attempts: r.attempts, edge: toStoredEdge(r) }));
}

export async function markOutboxDone(sql: SqlQueryable, outboxIds: readonly number[]): Promise<void> {
  if (outboxIds.length) await sql.query('UPDATE lineage_outbox SET done_at = now() WHERE id = ANY($1::bigint[])', [outboxIds]);
}

/** A full rebuild projected these edges: their pending rows need not be sent again. */
export async function markEdgesProjected(sql: SqlQueryable, edgeIds: readonly number[]): Promise<void> {
  if (!edgeIds.length) return;
  await sql.query('UPDATE lineage_outbox SET done_at = now() WHERE done_at IS NULL AND edge_id = ANY($1::bigint[])', [edgeIds]);
}

const ENSURE_STATE = 'INSERT INTO lineage_projection_state (id, covered_through) VALUES (1, 0) ON CONFLICT (id) DO NOTHING';

/** Every edge up to `edgeId` is in the projection or queued (after a full rebuild). */
export async function advanceProjectionMark(sql: SqlQueryable, edgeId: number): Promise<void> {
  await sql.query(ENSURE_STATE);
  await sql.query('UPDATE lineage_projection_state SET covered_through = greatest(covered_through, $1::bigint) WHERE id = 1', [edgeId]);
}

/**
 * Queues every edge above the mark that has no outbox row: those recorded while no Neo4j
 * projection was configured. Run once by the sync worker before it reports the projection
 * current, so enabling Neo4j on an existing database catches up by itself; the mark then moves
 * to the newest edge, so pruned (delivered) rows are never mistaken for missing ones. Replicas
 * are expected to agree on NEO4J_URI: an edge written by a replica without it, still
 * uncommitted while another replica moves the mark, is left to `lineage:rebuild`.
 * Returns how many were queued.
 */
export async function queueUnprojectedEdges(sql: SqlQueryable): Promise<number> {
  await sql.query(ENSURE_STATE);
  const rows = await sql.query<{ n: number }>(
    `WITH mark AS (SELECT covered_through FROM lineage_projection_state WHERE id = 1 FOR UPDATE),
     top AS (SELECT coalesce(max(id), 0) AS id FROM lineage_edges),
     queued AS (
       INSERT INTO lineage_outbox (edge_id, created_at)
       SELECT e.id, e.created_at FROM lineage_edges e, mark, top
       WHERE e.id > mark.covered_through AND e.id <= top.id
         AND NOT EXISTS (SELECT 1 FROM lineage_outbox o WHERE o.edge_id = e.id)
       ORDER BY e.id
       RETURNING 1),
     moved AS (UPDATE lineage_projection_state s SET covered_through = top.id FROM top WHERE s.id = 1 AND s.covered_through < top.id RETURNING 1)
     SELECT (SELECT count(*) FROM queued)::int AS n, (SELECT count(*) FROM moved)::int AS moved`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Deletes delivered rows older than `olderThanMs`, at most `limit` per call, so the outbox holds
 * the backlog plus a short recent history instead of one row per edge ever recorded.
 */
export async function pruneDeliveredOutbox(sql: SqlQueryable, olderThanMs: number, limit = 10_000): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM lineage_outbox WHERE id IN (
         SELECT id FROM lineage_outbox WHERE done_at IS NOT NULL AND done_at <= now() - ($1::int * interval '1 millisecond')
         ORDER BY done_at LIMIT $2)
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [Math.round(olderThanMs), limit],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function markOutboxFailed(sql: SqlQueryable, outboxIds: readonly number[], error: string, retryInMs: number): Promise<void> {
  if (!outboxIds.length) return;
  await sql.query(
    `UPDATE lineage_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + ($3::int * interval '1 millisecond')
     WHERE id = ANY($1::bigint[])`,
    [outboxIds, error.slice(0, 2000), Math.round(retryInMs)],
  );
}

export interface OutboxStats {
  pending: number;
  done: number;
  oldestPendingAt: Date | null;
}

export async function outboxStats(sql: SqlQueryable): Promise<OutboxStats> {
  const rows = await sql.query<{ pending: number; done: number; oldest: Date | string | null }>(
    `SELECT count(*) FILTER (WHERE done_at IS NULL)::int AS pending, count(*) FILTER (WHERE done_at IS NOT NULL)::int AS done,
            min(created_at) FILTER (WHERE done_at IS NULL) AS oldest
     FROM lineage_outbox`,
  );
  const r = rows[0]!;
  return { pending: r.pending, done: r.done, oldestPendingAt: r.oldest ? new Date(r.oldest) : null };
}

/** True when some change has not reached the projection yet (a cheap index probe). */
export async function hasPendingOutbox(sql: SqlQueryable): Promise<boolean> {
  const rows = await sql.query<{ pending: boolean }>('SELECT EXISTS (SELECT 1 FROM lineage_outbox WHERE done_at IS NULL) AS pending');
  return rows[0]?.pending === true;
}

/** Edges in id order after `afterId`, for a full re-projection. */
export async function edgesAfter(sql: SqlQueryable, afterId: number, limit: number): Promise<StoredEdge[]> {
  const rows = await sql.query<EdgeRow>(`SELECT ${EDGE_COLUMNS} FROM lineage_edges e WHERE e.id > $1 ORDER BY e.id LIMIT $2`, [afterId, limit]);
  return rows.map(toStoredEdge);
}

export async function countEdges(sql: SqlQueryable): Promise<number> {
  const rows = await sql.query<{ n: number }>('SELECT count(*)::bigint AS n FROM lineage_edges');
  return Number(rows[0]?.n ?? 0);
}

/** Code commits by id, for lineage labels and node(id); with projectIds, only those a run of those projects used. */
export async function commitsByIds(sql: SqlQueryable, ids: readonly number[], projectIds: readonly number[] | null = null): Promise<CodeCommit[]> {
  if (projectIds === null) {
    return sql.query<CodeCommit>(
      'SELECT id, repository, commit, committed_at AS "committedAt", created_at AS "createdAt" FROM code_commits WHERE id = ANY($1::int[])',
      [ids],
    );
  }
  return sql.query<CodeCommit>(
    `SELECT c.id, c.repository, c.commit, c.committed_at AS "committedAt", c.created_at AS "createdAt" FROM code_commits c
      WHERE c.id = ANY($1::int[])
        AND EXISTS (SELECT 1 FROM run_code_versions v JOIN runs r ON r.id = v.run_id WHERE v.commit_id = c.id AND r.project_id = ANY($2::int[]))`,
    [ids, projectIds],
  );
}

/** Neo4j answers again: rows waiting out a backoff are due now, so the projection catches up at once. */
export async function retryOutboxNow(sql: SqlQueryable): Promise<void> {
  await sql.query('UPDATE lineage_outbox SET next_attempt_at = NULL WHERE done_at IS NULL AND next_attempt_at > now()');
}

/** Edges per kind and distinct nodes per type in lineage_edges, to compare with the projection. */
export async function lineageCounts(sql: SqlQueryable): Promise<{ nodes: Record<string, number>; edges: Record<string, number> }> {
  const edges = await sql.query<{ name: string; n: number }>('SELECT kind AS name, count(*)::bigint AS n FROM lineage_edges GROUP BY kind');
  const nodes = await sql.query<{ name: string; n: number }>(
    `SELECT t AS name, count(*)::bigint AS n
     FROM (SELECT from_type AS t, from_id AS i FROM lineage_edges UNION SELECT to_type, to_id FROM lineage_edges) n
     GROUP BY t`,
  );
  const tally = (rows: { name: string; n: number }[]) => Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
  return { nodes: tally(nodes), edges: tally(edges) };
}

/** Locks a dataset version's row for the transaction (quarantines and releases of it then happen one at a time); false when there is none. */
export async function lockDatasetVersionRow(tx: Prisma.TransactionClient, datasetVersionId: number): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT id FROM dataset_versions WHERE id = ${datasetVersionId} FOR UPDATE`;
  return rows.length > 0;
}

/** Which of these ids exist in a node table. */
export async function existingNodeIds(sql: SqlQueryable, table: string, ids: readonly number[]): Promise<Set<number>> {
  const rows = await sql.query<{ id: number }>(`SELECT id FROM ${table} WHERE id = ANY($1::int[])`, [ids]);
  return new Set(rows.map((r) => r.id));
}

/** Up to `samples` random edge sources, to start projection checks from. */
export async function sampleEdgeSources(sql: SqlQueryable, samples: number): Promise<NodeRef[]> {
  const rows = await sql.query<{ type: string; id: number }>('SELECT from_type AS type, from_id AS id FROM lineage_edges ORDER BY random() LIMIT $1', [
    samples,
  ]);
  return rows.map((r) => ({ type: r.type as NodeType, id: r.id }));
}

export interface QuarantinedUpstreamRow {
  modelVersionId: number;
  datasetVersionId: number;
  reason: string;
  by: string | null;
  at: Date;
  dataset: string;
  version: string;
}

/**
 * The quarantined dataset versions upstream of each model version, at any distance (through
 * the run's inputs, derived data and base models), in one statement for the whole batch: a
 * set walk per model version (UNION keeps one row per node and origin, which ends cycles).
 */
export async function quarantinedUpstreamOf(sql: SqlQueryable, modelVersionIds: readonly number[]): Promise<QuarantinedUpstreamRow[]> {
  if (modelVersionIds.length === 0) return [];
  return sql.query<QuarantinedUpstreamRow>(
    `WITH RECURSIVE walk(origin, t, id) AS (
       SELECT s.id, 'ModelVersion'::text, s.id FROM unnest($1::int[]) AS s(id)
       UNION
       SELECT w.origin, e.from_type, e.from_id FROM walk w JOIN lineage_edges e ON e.to_type = w.t AND e.to_id = w.id
     )
     SELECT w.origin AS "modelVersionId", q.dataset_version_id AS "datasetVersionId", q.reason, q.quarantined_by AS "by", q.at,
            d.name AS dataset, dv.version
     FROM walk w JOIN dataset_quarantines q ON w.t = 'DatasetVersion' AND q.dataset_version_id = w.id
     JOIN dataset_versions dv ON dv.id = q.dataset_version_id JOIN datasets d ON d.id = dv.dataset_id
     ORDER BY 1, 2`,
    [modelVersionIds],
  );
}
