// SQL of the audit log: appending rows (many in one statement) and reading a filtered page.
import type { SqlQueryable } from '../../db/sql.js';
import type { AuditFilter, AuditRecord } from './service.js';

export interface AuditRow {
  id: number;
  at: Date;
  actor: string | null;
  operation: string;
  target_ids: string[];
  outcome: string;
  request_id: string | null;
}

/** Appends the records in one INSERT (the caller bounds how many). */
export async function insertAuditRecords(sql: SqlQueryable, records: readonly AuditRecord[]): Promise<void> {
  const values: string[] = [];
  const params: unknown[] = [];
  for (const r of records) {
    const n = params.length;
    values.push(`($${n + 1}, $${n + 2}, $${n + 3}::text[], $${n + 4}, $${n + 5})`);
    params.push(
      r.actor,
      r.operation.slice(0, 200),
      r.targetIds.slice(0, 50).map((t) => t.slice(0, 300)),
      r.outcome,
      r.requestId ?? null,
    );
  }
  await sql.query(`INSERT INTO audit_events (actor, operation, target_ids, outcome, request_id) VALUES ${values.join(', ')}`, params);
}

/** Up to `limit` rows matching the filter, newest first, with ids below `afterId`. */
export async function auditEventsPage(sql: SqlQueryable, filter: AuditFilter, afterId: number | null, limit: number): Promise<AuditRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (afterId !== null) add((p) => `id < ${p}`, afterId);
  if (filter.actor != null) add((p) => `actor = ${p}`, filter.actor);
  if (filter.operation != null) add((p) => `operation = ${p}`, filter.operation);
  if (filter.targetId != null) add((p) => `${p} = ANY(target_ids)`, filter.targetId);
  if (filter.outcome != null) add((p) => `outcome = ${p}`, filter.outcome);
  if (filter.since != null) add((p) => `at >= ${p}`, filter.since);
  if (filter.until != null) add((p) => `at < ${p}`, filter.until);
  params.push(limit);
  return sql.query<AuditRow>(
    `SELECT id, at, actor, operation, target_ids, outcome, request_id FROM audit_events
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
}
