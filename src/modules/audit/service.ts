// The audit log: one append-only row per executed mutation (who, when, what, targets, outcome).
// A database trigger refuses UPDATE, DELETE and TRUNCATE, so rows cannot be rewritten here either.
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { requireGlobalAdmin } from '../auth/policy.js';
import { PendingAudit } from './pending.js';
import { auditEventsPage, insertAuditRecords } from './store.js';

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

export function createAuditService(db: Database) {
  const append = groupCommitter((records) => insertAuditRecords(db.sql, records));
  return {
    /** Appends what the caller did, named as the caller (see Access.auditName); resolves once committed. */
    async record(caller: Access, entries: readonly Omit<AuditRecord, 'actor'>[]): Promise<void> {
      if (entries.length === 0) return;
      await append(entries.map((entry) => ({ ...entry, actor: caller.auditName })));
    },

    /** Opens the row of an operation the caller is about to do, for a service to write with its own statement (pending.ts). */
    open(caller: Access, operation: string, targetIds: readonly string[]): PendingAudit {
      return new PendingAudit(caller.auditName, operation, targetIds);
    },

    /** The log, newest first, keyset-paginated by id; global admins only. */
    async list(caller: Access, first: number, afterId: number | null, filter: AuditFilter = {}): Promise<{ events: AuditEvent[]; hasNextPage: boolean }> {
      requireGlobalAdmin(caller, 'auditEvents');
      const rows = await auditEventsPage(db.sql, filter, afterId, first + 1);
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
