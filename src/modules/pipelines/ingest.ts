// Ingesting OpenLineage events: keeps every raw event and applies each (authorize.ts decides who
// may write what it names, mapping.ts maps it onto nodes and edges) idempotently, with the same
// result in any arrival order; replays kept events after a mapping fix.
import type { Database } from '../../db/database.js';
import type { SqlQueryable } from '../../db/sql.js';
import { ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { requireGlobalAdmin } from '../auth/policy.js';
import { createEventAuthorizer, datasetsOf, key } from './authorize.js';
import { createEventMapping } from './mapping.js';
import { eventDigest } from './rules.js';
import type { IngestResult, LineageEvent, PipelineDeps } from './service.js';
import * as store from './store.js';

// Two events touching the same datasets in opposite orders can deadlock; PostgreSQL aborts one,
// which is then simply run again.
const RETRIED_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRIED_SQLSTATES.has(code);
}

export function createPipelineIngest(db: Database, deps: PipelineDeps) {
  const { sql } = db;
  const authorizer = createEventAuthorizer(db, deps.projects, deps.config);
  const { apply } = createEventMapping({ authorizer, reads: deps.reads, recordEdges: deps.recordEdges, retractEdges: deps.retractEdges });

  async function transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await sql.transaction(fn);
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      }
    }
  }

  /**
   * Applies one event as the caller, all of it or nothing. The same event again (same
   * canonical JSON) changes nothing and reports `duplicate`. The caller needs EDITOR in the
   * namespace's project (a missing one is created for global admins only), and the roles each
   * dataset and run of another project needs.
   */
  async function ingest(caller: Access, event: LineageEvent): Promise<IngestResult> {
    const actor = caller.actor;
    const digest = eventDigest(event.raw);
    const resolved = await authorizer.authorize(event, caller);
    const { projectId } = resolved;
    if (await store.rawEventExists(sql, digest)) return { duplicate: true, projectId, pipelineRunId: null };
    const now = new Date();
    return transaction(async (tx) => {
      const kept = await store.insertRawEvent(
        tx,
        {
          digest,
          projectId,
          eventType: event.eventType,
          eventTime: event.eventTime,
          runUuid: event.run?.runId ?? null,
          schemaUrl: event.schemaUrl,
          warnings: event.warnings,
          body: event.raw,
          actor,
        },
        now,
      );
      if (!kept) return { duplicate: true, projectId, pipelineRunId: null };
      return { duplicate: false, projectId, pipelineRunId: await apply(tx, event, resolved, actor, now) };
    });
  }

  /**
   * Makes a namespace ready to receive events (Marquez's PUT /namespaces/{namespace}): its
   * project, created for a global admin; anyone else needs EDITOR in it.
   */
  async function ensureNamespace(caller: Access, namespace: string): Promise<{ projectId: number; projectName: string }> {
    if (!namespace.trim() || namespace.length > 1000) throw new ValidationError('namespace', 'must be 1 to 1000 characters');
    const project = await authorizer.namespaceProject(caller, namespace);
    return { projectId: project.id, projectName: project.name };
  }

  /** Kept events in the order they arrived, after `afterId`, for a replay of the mapping (global admins). */
  function keptEvents(caller: Access, afterId: number, limit: number) {
    requireGlobalAdmin(caller, 'keptEvents');
    return store.keptEvents(sql, afterId, limit);
  }

  /**
   * Applies a kept event again, into the project and as the actor it was accepted for (its
   * access was checked then; datasets of other projects are only linked). Every rule
   * converges, so replaying after a mapping fix fills in what the fix adds and leaves the rest.
   */
  async function replay(caller: Access, event: LineageEvent, kept: { projectId: number; actor: string | null }): Promise<void> {
    requireGlobalAdmin(caller, 'replay');
    const foreign = (await store.datasetsByKeys(sql, datasetsOf(event))).filter((d) => d.projectId !== kept.projectId && d.claimed);
    const resolved = { projectId: kept.projectId, readOnly: new Set(foreign.map(key)), writable: new Set<string>(), caller: null };
    await transaction((tx) => apply(tx, event, resolved, kept.actor, new Date()));
  }

  return { ingest, ensureNamespace, keptEvents, replay };
}
