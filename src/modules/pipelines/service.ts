// Pipeline runs from OpenLineage events: keeps every raw event, and maps each onto pipeline-run
// nodes, datasets, dataset versions, code commits and lineage edges, idempotently and in any order.
import type { Database } from '../../db/database.js';
import { DomainError, NotFoundError } from '../../errors.js';
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
  schemaUrl: string;
  run: { runId: string; facets: Record<string, unknown> } | null;
  job: { namespace: string; name: string; facets: Record<string, unknown> } | null;
  inputs: EventDataset[];
  outputs: EventDataset[];
  /** The dataset of a DatasetEvent. */
  dataset: EventDataset | null;
  /** The event as received, kept verbatim. */
  raw: unknown;
}

/**
 * Decides whether the caller may do `role` in a project (throws to refuse). `projectId` null:
 * the project the namespace maps to does not exist. Called before anything is written.
 */
export type PipelineAuthorizer = (target: { projectId: number | null; projectName: string; role: 'VIEWER' | 'EDITOR'; what: string }) => Promise<void>;

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

/** Whether the authorizer lets the caller do this (a refusal is an answer here, not an error). */
async function allows(authorizer: PipelineAuthorizer, target: Parameters<PipelineAuthorizer>[0]): Promise<boolean> {
  try {
    await authorizer(target);
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

  /**
   * Every check before any write: the namespace's project (created for a caller allowed to
   * create it), EDITOR there, VIEWER on the projects of datasets read, EDITOR on those written,
   * and a run id that is not another project's.
   */
  async function authorize(event: LineageEvent, authorizer: PipelineAuthorizer, mayCreateProject: boolean): Promise<Resolved> {
    const projectName = projectForNamespace(namespaceOf(event), config.projects);
    const found = await projects.byName(projectName);
    // Refuses a caller who may not write there (and, for a missing project, one who may not create it).
    await authorizer({ projectId: found?.id ?? null, projectName, role: 'EDITOR', what: `namespace ${JSON.stringify(namespaceOf(event))}` });
    const project = found ?? (mayCreateProject ? (await projects.create({ name: projectName })).project : null);
    if (!project) throw new NotFoundError('Project', projectName);
    const readOnly = await authorizeForeignDatasets(event, project.id, authorizer);
    const uuids = [event.run?.runId, parentOf(event.run?.facets)?.runId].filter((u): u is string => !!u);
    for (const other of await store.pipelineRunsByUuids(sql, uuids)) {
      if (other.projectId === project.id) continue;
      const own = other.runUuid === event.run?.runId;
      await authorizer({ projectId: other.projectId, projectName: '', role: own ? 'EDITOR' : 'VIEWER', what: `run ${JSON.stringify(other.runUuid)}` });
    }
    return { projectId: project.id, readOnly };
  }

  /**
   * Datasets that belong to other projects: writing one (an output, a DatasetEvent, or an input
   * whose version is not recorded yet) needs EDITOR there; reading a recorded version, VIEWER.
   * Returns the keys of those the caller may only read.
   */
  async function authorizeForeignDatasets(event: LineageEvent, projectId: number, authorizer: PipelineAuthorizer): Promise<Set<string>> {
    const named = [...event.inputs, ...event.outputs, ...(event.dataset ? [event.dataset] : [])];
    const existing = new Map((await store.datasetsByKeys(sql, named)).map((d) => [key(d), d]));
    const written = new Set([...event.outputs, ...(event.dataset ? [event.dataset] : [])].map(key));
    const readOnly = new Set<string>();
    for (const d of named) {
      const found = existing.get(key(d));
      if (!found || found.projectId === projectId || readOnly.has(key(d))) continue;
      const target = { projectId: found.projectId, projectName: '', what: `dataset ${JSON.stringify(`${d.namespace}/${d.name}`)}` };
      const mustWrite = written.has(key(d)) || !(await store.hasVersion(sql, found.id, versionFacet(d)));
      if (mustWrite) await authorizer({ ...target, role: 'EDITOR' });
      else if (!(await allows(authorizer, { ...target, role: 'EDITOR' }))) {
        await authorizer({ ...target, role: 'VIEWER' });
        readOnly.add(key(d));
      }
    }
    return readOnly;
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
  async function recordDataset(tx: Tx, d: EventDataset, resolved: Resolved, label: string | null, actor: string | null, at: Date) {
    const datasetId = await store.ensureDataset(tx, d, resolved.projectId, at);
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
      const { datasetId, versionId } = await recordDataset(tx, d, resolved, versionFacet(d), actor, at);
      await store.linkRunDataset(tx, run.id, datasetId, 'INPUT', at);
      edges.push({ from: { type: 'DatasetVersion', id: versionId }, to: node, kind: 'INPUT_TO' });
    }
    for (const d of event.outputs) {
      // Only a completed run produced its outputs; other events declare what it writes.
      if (event.eventType === 'COMPLETE') {
        const { datasetId, versionId } = await recordDataset(tx, d, resolved, versionFacet(d) ?? derivedOutputVersion(run.runUuid), actor, at);
        await store.linkRunDataset(tx, run.id, datasetId, 'OUTPUT', at);
        edges.push({ from: node, to: { type: 'DatasetVersion', id: versionId }, kind: 'PRODUCED' });
      } else {
        await store.linkRunDataset(tx, run.id, await store.ensureDataset(tx, d, resolved.projectId, at), 'OUTPUT', at);
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
    for (const d of [...event.inputs, ...event.outputs]) await store.ensureDataset(tx, d, resolved.projectId, event.eventTime);
    if (event.dataset) await recordDataset(tx, event.dataset, resolved, versionFacet(event.dataset), actor, event.eventTime);
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
     * Applies one event, all of it or nothing. The same event again (same canonical JSON)
     * changes nothing and reports `duplicate`. `authorizer` sees every project touched first.
     */
    async ingest(event: LineageEvent, actor: string | null, authorizer: PipelineAuthorizer, options: { mayCreateProject: boolean }): Promise<IngestResult> {
      const digest = eventDigest(event.raw);
      const resolved = await authorize(event, authorizer, options.mayCreateProject);
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
            body: event.raw,
            actor,
          },
          now,
        );
        if (!kept) return { duplicate: true, projectId, pipelineRunId: null };
        return { duplicate: false, projectId, pipelineRunId: await apply(tx, event, resolved, actor, now) };
      });
    },

    /** Kept events in the order they arrived, after `afterId`, for a replay of the mapping. */
    keptEvents: (afterId: number, limit: number) => store.keptEvents(sql, afterId, limit),

    /**
     * Applies a kept event again, into the project and as the actor it was accepted for (its
     * access was checked then; datasets of other projects are only linked). Every rule
     * converges, so replaying after a mapping fix fills in what the fix adds and leaves the rest.
     */
    async replay(event: LineageEvent, kept: { projectId: number; actor: string | null }): Promise<void> {
      const named = [...event.inputs, ...event.outputs, ...(event.dataset ? [event.dataset] : [])];
      const foreign = (await store.datasetsByKeys(sql, named)).filter((d) => d.projectId !== kept.projectId);
      const resolved = { projectId: kept.projectId, readOnly: new Set(foreign.map(key)) };
      await transaction((tx) => apply(tx, event, resolved, kept.actor, new Date()));
    },

    async byIds(ids: readonly number[]): Promise<PipelineRunRow[]> {
      return store.pipelineRunsByIds(sql, ids);
    },

    async byRunUuids(runUuids: readonly string[]): Promise<PipelineRunRow[]> {
      return store.pipelineRunsByUuids(sql, runUuids);
    },

    datasetsOf: (runIds: readonly number[]) => store.runDatasets(sql, runIds),

    /** Versions of the datasets a run declared as outputs: what it wrote, or (failed) would have written over. */
    declaredOutputVersions: (runId: number, at: Date | null) => store.declaredOutputVersions(sql, runId, at),
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
