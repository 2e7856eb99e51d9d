// The audit log: one append-only row per executed mutation (who, when, what, targets, outcome).
// A database trigger refuses UPDATE, DELETE and TRUNCATE, so rows cannot be rewritten here either.
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { requireGlobalAdmin } from '../auth/policy.js';

export interface AuditRecord {
  actor: string | null;
  operation: string;
  targetIds: string[];
  /** "OK" or the error code the operation ended with. */
  outcome: string;
  requestId?: string | null;
}

export interface AuditEvent {
  id: string;
  at: Date;
  actor: string | null;
  operation: string;
  targetIds: string[];
  outcome: string;
  requestId: string | null;
}

export interface AuditFilter {
  actor?: string | null;
  operation?: string | null;
  targetId?: string | null;
  outcome?: string | null;
  since?: Date | null;
  until?: Date | null;
}

interface Row {
  id: number;
  at: Date;
  actor: string | null;
  operation: string;
  target_ids: string[];
  outcome: string;
  request_id: string | null;
}

const MAX_GROUP_ROWS = 1000;

/**
 * Group commit: records that arrive while an insert is in flight wait for it and then go
 * out together in the next one. Each caller still resolves only once its own rows are
 * committed, but concurrent mutations share one round trip and one WAL flush.
 */
function groupCommitter(write: (records: readonly AuditRecord[]) => Promise<void>) {
  let queue: { records: readonly AuditRecord[]; done: (error?: unknown) => void }[] = [];
  let flushing = false;
  const flush = async () => {
    flushing = true;
    while (queue.length) {
      // Bounded so one INSERT stays far below PostgreSQL's 65,535 bind parameters.
      let rows = 0;
      let take = 0;
      while (take < queue.length && rows < MAX_GROUP_ROWS) rows += queue[take++]!.records.length;
      const group = queue.splice(0, take);
      try {
        await write(group.flatMap((g) => g.records));
        for (const g of group) g.done();
      } catch (error) {
        for (const g of group) g.done(error);
      }
    }
    flushing = false;
  };
  return (records: readonly AuditRecord[]) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ records, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!flushing) void flush();
    });
}

async function insertRecords(db: Database, records: readonly AuditRecord[]): Promise<void> {
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
  await db.sql.query(`INSERT INTO audit_events (actor, operation, target_ids, outcome, request_id) VALUES ${values.join(', ')}`, params);
}

export function createAuditService(db: Database) {
  const append = groupCommitter((records) => insertRecords(db, records));
  return {
    /** Appends what the caller did, named as the caller (see Access.auditName); resolves once committed. */
    async record(caller: Access, entries: readonly Omit<AuditRecord, 'actor'>[]): Promise<void> {
      if (entries.length === 0) return;
      await append(entries.map((entry) => ({ ...entry, actor: caller.auditName })));
    },

    /** The log, newest first, keyset-paginated by id; global admins only. */
    async list(caller: Access, first: number, afterId: number | null, filter: AuditFilter = {}): Promise<{ events: AuditEvent[]; hasNextPage: boolean }> {
      requireGlobalAdmin(caller, 'auditEvents');
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
      params.push(first + 1);
      const rows = await db.sql.query<Row>(
        `SELECT id, at, actor, operation, target_ids, outcome, request_id FROM audit_events
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
      return {
        events: rows.slice(0, first).map((r) => ({
          id: String(r.id),
          at: new Date(r.at),
          actor: r.actor,
          operation: r.operation,
          targetIds: r.target_ids,
          outcome: r.outcome,
          requestId: r.request_id,
        })),
        hasNextPage: rows.length > first,
      };
    },
  };
}

export function decodeAuditCursor(after: string | null | undefined): number | null {
  if (!after) return null;
  const id = Number(Buffer.from(after, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id <= 0) throw new ValidationError('after', 'is not a cursor returned by this field');
  return id;
}

export type AuditService = ReturnType<typeof createAuditService>;
