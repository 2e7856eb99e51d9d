// Pipeline runs from OpenLineage events: keeps every raw event, applies each (authorize.ts decides
// who may write what it names, mapping.ts maps it onto nodes and edges) idempotently and with
// the same result in any arrival order, replays kept events, and answers the caller-scoped reads
// of pipeline runs.
import type { Database } from '../../db/database.js';
import type { SqlQueryable } from '../../db/sql.js';
import type { Access } from '../auth/access.js';
import { readableProjects, requireGlobalAdmin } from '../auth/policy.js';
import { datasetAccess } from '../datasets/policy.js';
import { ValidationError } from '../../errors.js';
import { walkColumnLineage } from './column-lineage-store.js';
import { visibleVersionIds } from '../datasets/policy.js';
import type { DatasetReads } from '../datasets/reads.js';
import type { EdgeRecorder, EdgeRetractor } from '../lineage/store.js';
import type { ProjectService } from '../projects/service.js';
import { createEventAuthorizer, datasetsOf, key } from './authorize.js';
import { createEventMapping } from './mapping.js';
import { pipelineRunAccess } from './policy.js';
import { type EventType, eventDigest } from './rules.js';
import * as store from './store.js';
import type { DatasetKey, PipelineRunRow } from './store.js';

export type { PipelineRunRow };

/** A dataset as an event names it, with its dataset facets and input/output facets. */
export interface EventDataset extends DatasetKey {
  facets: Record<string, unknown>;
  ioFacets: Record<string, unknown>;
}

/** A validated OpenLineage event (the front door checks the wire format and builds this). */
export interface LineageEvent {
  kind: 'RunEvent' | 'JobEvent' | 'DatasetEvent';
  eventType: EventType | null;
  eventTime: Date;
  /** null: sent without one (clients before openlineage-python 0.28). */
  schemaUrl: string | null;
  /** What was accepted though not as the spec says; kept with the raw event. */
  warnings: string[];
  run: { runId: string; facets: Record<string, unknown> } | null;
  job: { namespace: string; name: string; facets: Record<string, unknown> } | null;
  inputs: EventDataset[];
  outputs: EventDataset[];
  /** The dataset of a DatasetEvent. */
  dataset: EventDataset | null;
  /** The event as received, kept verbatim. */
  raw: unknown;
}

/** Column lineage walks at most this many hops (a field's history rarely runs deeper). */
export const MAX_COLUMN_DEPTH = 20;

export type Direction = 'UPSTREAM' | 'DOWNSTREAM' | 'BOTH';

export interface IngestResult {
  duplicate: boolean;
  projectId: number;
  pipelineRunId: number | null;
}

export interface PipelineConfig {
  /** Namespace -> project name ("*" for every other namespace); unmapped namespaces name their project. */
  projects: ReadonlyMap<string, string>;
}

// Two events touching the same datasets in opposite orders can deadlock; PostgreSQL aborts one,
// which is then simply run again.
const RETRIED_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRIED_SQLSTATES.has(code);
}

export interface PipelineDeps {
  projects: ProjectService;
  reads: DatasetReads;
  recordEdges: EdgeRecorder;
  retractEdges: EdgeRetractor;
  config: PipelineConfig;
}

export function createPipelineService(db: Database, deps: PipelineDeps) {
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

  return {
    /**
     * Applies one event as the caller, all of it or nothing. The same event again (same
     * canonical JSON) changes nothing and reports `duplicate`. The caller needs EDITOR in the
     * namespace's project (a missing one is created for global admins only), and the roles each
     * dataset and run of another project needs.
     */
    async ingest(caller: Access, event: LineageEvent): Promise<IngestResult> {
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
    },

    /**
     * Makes a namespace ready to receive events (Marquez's PUT /namespaces/{namespace}): its
     * project, created for a global admin; anyone else needs EDITOR in it.
     */
    async ensureNamespace(caller: Access, namespace: string): Promise<{ projectId: number; projectName: string }> {
      if (!namespace.trim() || namespace.length > 1000) throw new ValidationError('namespace', 'must be 1 to 1000 characters');
      const project = await authorizer.namespaceProject(caller, namespace);
      return { projectId: project.id, projectName: project.name };
    },

    /** Kept events in the order they arrived, after `afterId`, for a replay of the mapping (global admins). */
    keptEvents(caller: Access, afterId: number, limit: number) {
      requireGlobalAdmin(caller, 'keptEvents');
      return store.keptEvents(sql, afterId, limit);
    },

    /**
     * Applies a kept event again, into the project and as the actor it was accepted for (its
     * access was checked then; datasets of other projects are only linked). Every rule
     * converges, so replaying after a mapping fix fills in what the fix adds and leaves the rest.
     */
    async replay(caller: Access, event: LineageEvent, kept: { projectId: number; actor: string | null }): Promise<void> {
      requireGlobalAdmin(caller, 'replay');
      const foreign = (await store.datasetsByKeys(sql, datasetsOf(event))).filter((d) => d.projectId !== kept.projectId && d.claimed);
      const resolved = { projectId: kept.projectId, readOnly: new Set(foreign.map(key)), writable: new Set<string>(), caller: null };
      await transaction((tx) => apply(tx, event, resolved, kept.actor, new Date()));
    },

    /** Pipeline runs of these ids the caller may see. */
    async visibleByIds(caller: Access, ids: readonly number[]): Promise<PipelineRunRow[]> {
      return pipelineRunAccess.visible(caller, await store.pipelineRunsByIds(sql, ids));
    },

    /** Pipeline runs of these OpenLineage run ids the caller may see. */
    async visibleByRunUuids(caller: Access, runUuids: readonly string[]): Promise<PipelineRunRow[]> {
      return pipelineRunAccess.visible(caller, await store.pipelineRunsByUuids(sql, runUuids));
    },

    /** The datasets runs the caller read read and wrote (each dataset's own visibility is applied where it is loaded). */
    async datasetsOf(caller: Access, runs: readonly PipelineRunRow[]) {
      return store.runDatasets(
        sql,
        (await pipelineRunAccess.visible(caller, runs)).map((r) => r.id),
      );
    },

    /** The raw events of runs the caller read, in event-time order, a page per run. */
    async eventsOf(caller: Access, runs: readonly PipelineRunRow[], options: { first: number; offset: number }): Promise<store.KeptEventRow[]> {
      const visible = await pipelineRunAccess.visible(caller, runs);
      return store.eventsOfRuns(
        sql,
        visible.map((r) => r.runUuid),
        options.first,
        options.offset,
      );
    },

    /** Raw events of every project the caller may see, within an event-time window (Marquez's /events/lineage). */
    async events(caller: Access, options: { before: Date | null; after: Date | null; first: number; offset: number; newestFirst: boolean }) {
      return store.eventsPage(sql, await readableProjects(caller), { ...options, limit: options.first });
    },

    /**
     * Field-level lineage around a dataset the caller may see (NOT_FOUND otherwise): where its
     * field (or every field) comes from, what comes from it, or both, within `depth` hops,
     * through datasets the caller may see only.
     */
    async columnLineage(caller: Access, start: { namespace: string; name: string; field: string | null }, direction: Direction, depth: number) {
      const [dataset] = await store.datasetsByKeys(sql, [start]);
      await datasetAccess.require(caller, dataset ? { projectId: dataset.projectId } : null, 'VIEWER', `${start.namespace}/${start.name}`);
      if (!Number.isInteger(depth) || depth < 1 || depth > MAX_COLUMN_DEPTH)
        throw new ValidationError('depth', `must be an integer from 1 to ${MAX_COLUMN_DEPTH}`);
      const projectIds = await readableProjects(caller);
      const ways = direction === 'BOTH' ? (['UPSTREAM', 'DOWNSTREAM'] as const) : [direction];
      const edges = [];
      for (const way of ways) edges.push(...(await walkColumnLineage(sql, start, way, depth, projectIds)));
      return edges;
    },

    /** Versions the caller may see of the datasets a run declared as outputs: what it wrote, or (failed) would have written over. */
    async declaredOutputVersions(caller: Access, run: PipelineRunRow, at: Date | null): Promise<number[]> {
      await pipelineRunAccess.require(caller, run, 'VIEWER', run.runUuid);
      return visibleVersionIds(sql, caller, await store.declaredOutputVersions(sql, run.id, at));
    },
  };
}

export type PipelineService = ReturnType<typeof createPipelineService>;
