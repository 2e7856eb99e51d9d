// Pipeline runs from OpenLineage events: keeps every raw event, and maps each onto pipeline-run
// nodes, datasets, dataset versions, code commits and lineage edges, idempotently and in any order;
// decides who may write what an event names (and re-decides, inside the write, for datasets that
// appeared in another project meanwhile).
import type { Database } from '../../db/database.js';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { isGlobalAdmin, requireGlobalAdmin } from '../auth/policy.js';
import { visibleVersionIds } from '../datasets/policy.js';
import { projectAccess } from '../projects/policy.js';
import { pipelineRunAccess } from './policy.js';
import type { EdgeInput, EdgeRecorder } from '../lineage/store.js';
import { lineageDigest } from '../datasets/service.js';
import type { ProjectService } from '../projects/service.js';
import {
  commitSha,
  derivedOutputVersion,
  earliest,
  type EventType,
  eventDigest,
  facetValue,
  isTerminal,
  mergeFacets,
  nextState,
  projectForNamespace,
  UNVERSIONED,
} from './rules.js';
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

/** What an event needs of the caller in one project: `projectId` null when the project the namespace maps to does not exist. */
interface Need {
  projectId: number | null;
  projectName: string;
  role: 'VIEWER' | 'EDITOR';
  what: string;
}

export interface IngestResult {
  duplicate: boolean;
  projectId: number;
  pipelineRunId: number | null;
}

export interface PipelineConfig {
  /** Namespace -> project name ("*" for every other namespace); unmapped namespaces name their project. */
  projects: ReadonlyMap<string, string>;
}

interface Resolved {
  projectId: number;
  /** Datasets of other projects the caller may only read: their versions are linked, never created or annotated. */
  readOnly: Set<string>;
  /** Datasets of other projects the caller was found allowed to write before the transaction. */
  writable: Set<string>;
  /** Who is writing, to decide anew about a dataset created in another project meanwhile; null on a replay (decided when accepted). */
  caller: Access | null;
}

type Tx = Parameters<typeof store.lockVersion>[0];

// Two events touching the same datasets in opposite orders can deadlock; PostgreSQL aborts one,
// which is then simply run again.
const RETRIED_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRIED_SQLSTATES.has(code);
}

const key = (d: DatasetKey) => `${d.namespace}\u0000${d.name}`;

/**
 * Refuses the caller unless they hold `role` in the project. OpenLineage refusals of a project
 * the caller may not touch are alike (403), whether the project exists or not.
 */
async function requireRole(caller: Access, need: Need): Promise<void> {
  // A project that does not exist yet is created for a global admin (see authorize).
  if (need.projectId === null && isGlobalAdmin(caller)) return;
  try {
    await projectAccess.require(caller, need.projectId === null ? null : { id: need.projectId }, need.role, need.projectName || need.projectId || '');
  } catch (error) {
    if (!(error instanceof DomainError) || (error.code !== 'NOT_FOUND' && error.code !== 'FORBIDDEN')) throw error;
    const verb = need.role === 'EDITOR' ? 'write to' : 'read';
    throw new ForbiddenError(
      `${need.what}: this token may not ${verb} it (needs the ${need.role} role in ${need.projectName ? `project ${JSON.stringify(need.projectName)}` : 'its project'})`,
      { needed: need.role },
    );
  }
}

/** Whether the caller holds the role (a refusal is an answer here, not an error). */
async function allows(caller: Access, need: Need): Promise<boolean> {
  try {
    await requireRole(caller, need);
    return true;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'FORBIDDEN') return false;
    throw error;
  }
}

export function createPipelineService(db: Database, projects: ProjectService, recordEdges: EdgeRecorder, config: PipelineConfig) {
  const { sql } = db;

  function namespaceOf(event: LineageEvent): string {
    return event.job?.namespace ?? event.dataset!.namespace;
  }

  /** The namespace's project, created for a global admin; a refusal names the event's namespace field, not the project's. */
  async function createProjectFor(caller: Access, event: LineageEvent, projectName: string) {
    try {
      return (await projects.create(caller, { name: projectName })).project;
    } catch (error) {
      if (!(error instanceof ValidationError) && !(error instanceof ConflictError)) throw error;
      const field = event.job ? 'job.namespace' : 'dataset.namespace';
      const reason = error instanceof ValidationError ? error.message.slice(error.field.length + 2) : error.message.replace(/^input\.name: /, '');
      throw new ValidationError(field, `maps to project ${JSON.stringify(projectName)}, which cannot be used: ${reason}`);
    }
  }

  /**
   * Every check before any write: the namespace's project (created for a caller allowed to
   * create it), EDITOR there, VIEWER on the projects of datasets read, EDITOR on those written,
   * and a run id that is not another project's.
   */
  async function authorize(event: LineageEvent, caller: Access): Promise<Resolved> {
    const projectName = projectForNamespace(namespaceOf(event), config.projects);
    const found = await projects.internal.byName(projectName);
    // Refuses a caller who may not write there; a missing project is created only for a global admin.
    await requireRole(caller, { projectId: found?.id ?? null, projectName, role: 'EDITOR', what: `namespace ${JSON.stringify(namespaceOf(event))}` });
    const project = found ?? (await createProjectFor(caller, event, projectName));
    const { readOnly, writable } = await authorizeForeignDatasets(event, project.id, caller);
    const uuids = [event.run?.runId, parentOf(event.run?.facets)?.runId].filter((u): u is string => !!u);
    for (const other of await store.pipelineRunsByUuids(sql, uuids)) {
      if (other.projectId === project.id) continue;
      const own = other.runUuid === event.run?.runId;
      await requireRole(caller, { projectId: other.projectId, projectName: '', role: own ? 'EDITOR' : 'VIEWER', what: `run ${JSON.stringify(other.runUuid)}` });
    }
    return { projectId: project.id, readOnly, writable, caller };
  }

  /**
   * Datasets that belong to other projects: writing one (an output, a DatasetEvent, or an input
   * whose version is not recorded yet) needs EDITOR there; reading a recorded version, VIEWER.
   * Returns the keys of those the caller may only read.
   */
  async function authorizeForeignDatasets(event: LineageEvent, projectId: number, caller: Access): Promise<{ readOnly: Set<string>; writable: Set<string> }> {
    const named = [...event.inputs, ...event.outputs, ...(event.dataset ? [event.dataset] : [])];
    const existing = new Map((await store.datasetsByKeys(sql, named)).map((d) => [key(d), d]));
    const readOnly = new Set<string>();
    const writable = new Set<string>();
    for (const d of named) {
      const found = existing.get(key(d));
      if (!found || found.projectId === projectId || readOnly.has(key(d)) || writable.has(key(d))) continue;
      if (await authorizeForeignDataset(sql, event, d, found, caller)) writable.add(key(d));
      else readOnly.add(key(d));
    }
    return { readOnly, writable };
  }

  /**
   * One dataset of another project: writing it (an output, a DatasetEvent, or an input whose
   * version is not recorded yet) needs EDITOR there; reading a recorded version, VIEWER.
   * Returns whether the caller may write it; refuses when the caller may do neither.
   */
  async function authorizeForeignDataset(client: Tx, event: LineageEvent, d: EventDataset, found: { id: number; projectId: number }, caller: Access) {
    const written = [...event.outputs, ...(event.dataset ? [event.dataset] : [])].some((w) => key(w) === key(d));
    const need = { projectId: found.projectId, projectName: '', what: `dataset ${JSON.stringify(`${d.namespace}/${d.name}`)}` };
    const mustWrite = written || !(await store.hasVersion(client, found.id, versionFacet(d)));
    if (mustWrite) {
      await requireRole(caller, { ...need, role: 'EDITOR' });
      return true;
    }
    if (await allows(caller, { ...need, role: 'EDITOR' })) return true;
    await requireRole(caller, { ...need, role: 'VIEWER' });
    return false;
  }

  /**
   * The dataset an event names, created in the event's project when new. Ownership is decided
   * here, inside the writing transaction: a dataset another project created since the checks
   * before the transaction is checked now, so a race never writes into another tenant's data.
   */
  async function datasetFor(tx: Tx, event: LineageEvent, d: EventDataset, resolved: Resolved, at: Date): Promise<number> {
    const dataset = await store.ensureDataset(tx, d, resolved.projectId, at);
    const k = key(d);
    if (dataset.projectId === resolved.projectId || resolved.readOnly.has(k) || resolved.writable.has(k) || !resolved.caller) return dataset.id;
    if (await authorizeForeignDataset(tx, event, d, dataset, resolved.caller)) resolved.writable.add(k);
    else resolved.readOnly.add(k);
    return dataset.id;
  }

  /** The version an event's dataset names: its version facet, else derived (see README "OpenLineage"). */
  async function versionOf(tx: Tx, d: EventDataset, datasetId: number, label: string | null, actor: string | null, at: Date) {
    if (label === null) {
      const found = await store.versionAt(tx, datasetId, at);
      if (found) return found;
      label = UNVERSIONED;
    }
    return store.lockVersion(tx, datasetId, label, lineageDigest(d.namespace, d.name, label), actor, at);
  }

  /** Records a dataset and (for runs and DatasetEvents) the version named, with its facets merged in. */
  async function recordDataset(tx: Tx, event: LineageEvent, d: EventDataset, resolved: Resolved, label: string | null, actor: string | null, at: Date) {
    const datasetId = await datasetFor(tx, event, d, resolved, at);
    const version = await versionOf(tx, d, datasetId, label, actor, at);
    const facets = { ...d.facets, ...d.ioFacets };
    if (Object.keys(facets).length && !resolved.readOnly.has(key(d))) await store.saveVersionFacets(tx, version.id, mergeFacets(version.facets, facets, at));
    return { datasetId, versionId: version.id };
  }

  function applyRunEvent(run: PipelineRunRow, event: LineageEvent, now: Date): PipelineRunRow {
    const at = event.eventTime;
    const runFacets = mergeFacets(run.runFacets, event.run!.facets, at);
    const jobFacets = mergeFacets(run.jobFacets, event.job!.facets, at);
    const state = nextState(run, event.eventType, at);
    const parent = parentOf({ parent: runFacets.parent?.value });
    const nominal = facetValue(runFacets, 'nominalTime');
    const error = facetValue(runFacets, 'errorMessage');
    const endedNow = isTerminal(state.state) && state.stateAt === at && state.state === event.eventType;
    return {
      ...run,
      ...state,
      jobNamespace: event.job!.namespace,
      jobName: event.job!.name,
      startedAt: event.eventType === 'START' || event.eventType === 'RUNNING' ? earliest(run.startedAt, at) : run.startedAt,
      endedAt: endedNow ? at : run.endedAt,
      nominalStartTime: dateOrNull(nominal?.nominalStartTime),
      nominalEndTime: dateOrNull(nominal?.nominalEndTime),
      parentRunUuid: parent?.runId ?? null,
      parentJobNamespace: parent?.namespace ?? null,
      parentJobName: parent?.name ?? null,
      errorMessage: typeof error?.message === 'string' ? error.message : null,
      runFacets,
      jobFacets,
      updatedAt: now,
    };
  }

  async function ingestRun(tx: Tx, event: LineageEvent, resolved: Resolved, actor: string | null, now: Date): Promise<number> {
    const at = event.eventTime;
    const locked = await store.lockPipelineRun(tx, {
      runUuid: event.run!.runId,
      projectId: resolved.projectId,
      jobNamespace: event.job!.namespace,
      jobName: event.job!.name,
      now,
    });
    const run = applyRunEvent(locked, event, now);
    await store.savePipelineRun(tx, run);
    const node = { type: 'PipelineRun', id: run.id } as const;
    const edges: EdgeInput[] = [];
    for (const d of event.inputs) {
      const { datasetId, versionId } = await recordDataset(tx, event, d, resolved, versionFacet(d), actor, at);
      await store.linkRunDataset(tx, run.id, datasetId, 'INPUT', at);
      edges.push({ from: { type: 'DatasetVersion', id: versionId }, to: node, kind: 'INPUT_TO' });
    }
    for (const d of event.outputs) {
      // Only a completed run produced its outputs; other events declare what it writes.
      if (event.eventType === 'COMPLETE') {
        const { datasetId, versionId } = await recordDataset(tx, event, d, resolved, versionFacet(d) ?? derivedOutputVersion(run.runUuid), actor, at);
        await store.linkRunDataset(tx, run.id, datasetId, 'OUTPUT', at);
        edges.push({ from: node, to: { type: 'DatasetVersion', id: versionId }, kind: 'PRODUCED' });
      } else {
        await store.linkRunDataset(tx, run.id, await datasetFor(tx, event, d, resolved, at), 'OUTPUT', at);
      }
    }
    const sha = commitSha(facetValue(run.jobFacets, 'sourceCodeLocation')?.version);
    const location = facetValue(run.jobFacets, 'sourceCodeLocation');
    const repository = (location?.repoUrl ?? location?.url) as unknown;
    if (sha && typeof repository === 'string' && repository) {
      edges.push({ from: { type: 'CodeCommit', id: await store.ensureCommit(tx, repository, sha, at) }, to: node, kind: 'INPUT_TO' });
    }
    if (run.parentRunUuid && run.parentRunUuid !== run.runUuid) {
      const parent = await store.lockPipelineRun(tx, {
        runUuid: run.parentRunUuid,
        projectId: resolved.projectId,
        jobNamespace: run.parentJobNamespace ?? run.jobNamespace,
        jobName: run.parentJobName ?? '',
        now,
      });
      edges.push({ from: { type: 'PipelineRun', id: parent.id }, to: node, kind: 'PARENT_OF' });
    }
    await recordEdges(tx, edges, at);
    return run.id;
  }

  /** Maps one event onto nodes and edges; returns the pipeline run it concerns, if any. */
  async function apply(tx: Tx, event: LineageEvent, resolved: Resolved, actor: string | null, now: Date): Promise<number | null> {
    if (event.kind === 'RunEvent') return ingestRun(tx, event, resolved, actor, now);
    // A JobEvent names datasets but no run (edges connect runs); a DatasetEvent records its version and facets.
    for (const d of [...event.inputs, ...event.outputs]) await datasetFor(tx, event, d, resolved, event.eventTime);
    if (event.dataset) await recordDataset(tx, event, event.dataset, resolved, versionFacet(event.dataset), actor, event.eventTime);
    return null;
  }

  async function transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
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
      const resolved = await authorize(event, caller);
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
      const named = [...event.inputs, ...event.outputs, ...(event.dataset ? [event.dataset] : [])];
      const foreign = (await store.datasetsByKeys(sql, named)).filter((d) => d.projectId !== kept.projectId);
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

    /** Versions the caller may see of the datasets a run declared as outputs: what it wrote, or (failed) would have written over. */
    async declaredOutputVersions(caller: Access, run: PipelineRunRow, at: Date | null): Promise<number[]> {
      await pipelineRunAccess.require(caller, run, 'VIEWER', run.runUuid);
      return visibleVersionIds(sql, caller, await store.declaredOutputVersions(sql, run.id, at));
    },
  };
}

export type PipelineService = ReturnType<typeof createPipelineService>;

/** The parent facet's run id and job, when the facet is well-formed. */
export function parentOf(facets: Record<string, unknown> | undefined): { runId: string; namespace: string | null; name: string | null } | null {
  const parent = facets?.parent as { run?: { runId?: unknown }; job?: { namespace?: unknown; name?: unknown } } | undefined;
  const runId = parent?.run?.runId;
  if (typeof runId !== 'string' || !runId) return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return { runId, namespace: str(parent?.job?.namespace), name: str(parent?.job?.name) };
}

function versionFacet(d: EventDataset): string | null {
  const v = (d.facets.version as { datasetVersion?: unknown } | undefined)?.datasetVersion;
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

function dateOrNull(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}
