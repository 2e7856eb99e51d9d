// Maps one OpenLineage event onto pipeline-run nodes, datasets, versions, reads, code commits
// and lineage edges, inside the caller's transaction. Every rule converges: facets merge by
// event time, dates take the earliest event, reads are derived again when versions appear
// (datasets/reads.ts), so the same events in any order leave the same graph.
import { lineageDigest } from '../datasets/digest.js';
import type { DatasetReads } from '../datasets/reads.js';
import type { EdgeInput, EdgeRecorder, EdgeRetractor } from '../lineage/store.js';
import { type EventAuthorizer, key, parentOf, type Resolved } from './authorize.js';
import { replaceColumnLineage } from './column-lineage-store.js';
import * as jobs from './jobs-store.js';
import { columnLineageRows, commitSha, derivedOutputVersion, earliest, facetValue, isTerminal, jobVersionOf, mergeFacets, nextState } from './rules.js';
import * as store from './store.js';
import type { PipelineRunRow } from './store.js';
import type { StoredFacets } from './rules.js';
import type { EventDataset, LineageEvent } from './service.js';

type Tx = Parameters<typeof store.lockVersion>[0];

export function versionFacet(d: EventDataset): string | null {
  const v = (d.facets.version as { datasetVersion?: unknown } | undefined)?.datasetVersion;
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

function dateOrNull(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
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
    firstEventAt: earliest(run.firstEventAt, at),
    parentRunUuid: parent?.runId ?? null,
    parentJobNamespace: parent?.namespace ?? null,
    parentJobName: parent?.name ?? null,
    errorMessage: typeof error?.message === 'string' ? error.message : null,
    runFacets,
    jobFacets,
    updatedAt: now,
  };
}

export function createEventMapping(deps: { authorizer: EventAuthorizer; reads: DatasetReads; recordEdges: EdgeRecorder; retractEdges: EdgeRetractor }) {
  const { authorizer, reads, recordEdges, retractEdges } = deps;

  /** A version named by label (created when new, dated by the earliest event naming it), with facets merged in; reads it can change are derived again. */
  async function recordVersion(tx: Tx, d: EventDataset, datasetId: number, label: string, resolved: Resolved, actor: string | null, at: Date, now: Date) {
    const digest = lineageDigest(d.namespace, d.name, label);
    const version = await store.lockVersion(tx, datasetId, label, digest, actor, at);
    const facets = { ...d.facets, ...d.ioFacets };
    if (Object.keys(facets).length && !resolved.readOnly.has(key(d)))
      await store.saveVersionFacets(tx, version.id, mergeFacets(version.facets, facets, at), digest);
    if (version.inserted || version.previousCreatedAt) {
      await reads.versionRecorded(tx, d, { datasetId, label, createdAt: version.createdAt, previousCreatedAt: version.previousCreatedAt }, now);
    }
    return version.id;
  }

  /** Facets of a dataset named at no version: they describe the dataset, not one of its versions. */
  async function recordDatasetFacets(tx: Tx, d: EventDataset, dataset: store.DatasetRow, resolved: Resolved, at: Date) {
    const facets = { ...d.facets, ...d.ioFacets };
    if (!Object.keys(facets).length || resolved.readOnly.has(key(d))) return;
    await store.saveDatasetFacets(tx, dataset.id, mergeFacets(dataset.facets, facets, at));
  }

  /** The event's job (its facets merged in) and the version that `facets` define. */
  async function recordJob(tx: Tx, event: LineageEvent, resolved: Resolved, facets: StoredFacets) {
    const at = event.eventTime;
    const job = await jobs.lockJob(tx, event.job!, resolved.projectId, at);
    if (Object.keys(event.job!.facets).length) await jobs.saveJobFacets(tx, job.id, mergeFacets(job.facets, event.job!.facets, at));
    const version = jobVersionOf(event.job!.namespace, event.job!.name, facets);
    return { jobId: job.id, jobVersionId: await jobs.ensureJobVersion(tx, job.id, version.version, version.facets, at) };
  }

  /** A JobEvent: the job, the version its facets define, and that version's static lineage. */
  async function ingestJob(tx: Tx, event: LineageEvent, resolved: Resolved) {
    const at = event.eventTime;
    const { jobVersionId } = await recordJob(tx, event, resolved, mergeFacets({}, event.job!.facets, at));
    for (const [direction, list] of [
      ['INPUT', event.inputs],
      ['OUTPUT', event.outputs],
    ] as const) {
      for (const d of list) {
        const dataset = await authorizer.datasetFor(tx, event, d, resolved, at);
        await jobs.linkJobDataset(tx, jobVersionId, dataset.id, direction, at);
        if (direction === 'OUTPUT') await recordColumnLineage(tx, d, dataset, resolved, at);
      }
    }
    await jobs.redateVersions(tx, [jobVersionId]);
  }

  /** The columnLineage facet of a dataset written (an output, or a DatasetEvent) as field-level edges. */
  async function recordColumnLineage(tx: Tx, d: EventDataset, dataset: store.DatasetRow, resolved: Resolved, at: Date) {
    const facet = d.facets.columnLineage ?? d.ioFacets.columnLineage;
    if (facet === undefined || resolved.readOnly.has(key(d))) return;
    await replaceColumnLineage(tx, dataset.id, columnLineageRows(facet), at);
  }

  async function recordInput(tx: Tx, event: LineageEvent, run: PipelineRunRow, d: EventDataset, resolved: Resolved, actor: string | null, now: Date) {
    const at = event.eventTime;
    const dataset = await authorizer.datasetFor(tx, event, d, resolved, at);
    const label = versionFacet(d);
    const mayWrite = !resolved.readOnly.has(key(d));
    // A named version a read-only reader cannot create waits for its producer (see reads.ts).
    if (label !== null && mayWrite) await recordVersion(tx, d, dataset.id, label, resolved, actor, at, now);
    if (label === null) await recordDatasetFacets(tx, d, dataset, resolved, at);
    await store.linkRunDataset(tx, run.id, dataset.id, 'INPUT', at);
    await reads.record(tx, { ...d, reader: { type: 'PipelineRun', id: run.id }, role: '', version: label ?? '', readAt: at, mayWrite, actorUserId: null }, now);
  }

  async function recordOutput(tx: Tx, event: LineageEvent, run: PipelineRunRow, d: EventDataset, resolved: Resolved, actor: string | null, now: Date) {
    const at = event.eventTime;
    const dataset = await authorizer.datasetFor(tx, event, d, resolved, at);
    await store.linkRunDataset(tx, run.id, dataset.id, 'OUTPUT', at);
    await recordColumnLineage(tx, d, dataset, resolved, at);
    // Only a completed run produced its outputs; other events declare what it writes.
    if (event.eventType !== 'COMPLETE') return recordDatasetFacets(tx, d, dataset, resolved, at);
    const versionId = await recordVersion(tx, d, dataset.id, versionFacet(d) ?? derivedOutputVersion(run.runUuid), resolved, actor, at, now);
    await recordEdges(tx, [{ from: { type: 'PipelineRun', id: run.id }, to: { type: 'DatasetVersion', id: versionId }, kind: 'PRODUCED' }], at);
  }

  /** The edges of the run itself: its code commit and its parent run. */
  async function runEdges(tx: Tx, run: PipelineRunRow, resolved: Resolved, now: Date, at: Date) {
    const node = { type: 'PipelineRun', id: run.id } as const;
    const edges: EdgeInput[] = [];
    const location = facetValue(run.jobFacets, 'sourceCodeLocation');
    const sha = commitSha(location?.version);
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
    // A later event that names another commit or parent replaces the earlier one's edge: the run has one of each.
    const kept = new Set(edges.map((e) => `${e.from.type}:${e.from.id}`));
    const replaced = (await store.runSourceEdges(tx, run.id)).filter((e) => !kept.has(`${e.fromType}:${e.fromId}`));
    await retractEdges(
      tx,
      replaced.map((e) => e.id),
      'a later event of the run named another commit or parent',
      now,
    );
  }

  async function ingestRun(tx: Tx, event: LineageEvent, resolved: Resolved, actor: string | null, now: Date): Promise<number> {
    const locked = await store.lockPipelineRun(tx, {
      runUuid: event.run!.runId,
      projectId: resolved.projectId,
      jobNamespace: event.job!.namespace,
      jobName: event.job!.name,
      now,
    });
    // A run known only as another run's parent moves into the project of its own first event.
    const own = store.isBareParent(locked) ? { ...locked, projectId: resolved.projectId } : locked;
    const applied = applyRunEvent(own, event, now);
    const { jobId, jobVersionId } = await recordJob(tx, event, resolved, applied.jobFacets);
    const run = { ...applied, jobId, jobVersionId };
    await store.savePipelineRun(tx, run);
    await jobs.redateVersions(
      tx,
      [jobVersionId, locked.jobVersionId].filter((v): v is number => v !== null),
    );
    for (const d of event.inputs) await recordInput(tx, event, run, d, resolved, actor, now);
    for (const d of event.outputs) await recordOutput(tx, event, run, d, resolved, actor, now);
    // Stamped with the run's earliest event known, so the time does not depend on arrival order.
    await runEdges(tx, run, resolved, now, earliest(run.startedAt, earliest(run.stateAt, event.eventTime))!);
    return run.id;
  }

  return {
    /** Maps one event onto nodes and edges; returns the pipeline run it concerns, if any. Hold the event's dataset key locks first. */
    async apply(tx: Tx, event: LineageEvent, resolved: Resolved, actor: string | null, now: Date): Promise<number | null> {
      await reads.lock(tx, [...event.inputs, ...event.outputs, ...(event.dataset ? [event.dataset] : [])]);
      if (event.kind === 'RunEvent') return ingestRun(tx, event, resolved, actor, now);
      if (event.kind === 'JobEvent') {
        await ingestJob(tx, event, resolved);
        return null;
      }
      // A DatasetEvent records its version (or describes the dataset) and its facets.
      const d = event.dataset;
      if (d) {
        const dataset = await authorizer.datasetFor(tx, event, d, resolved, event.eventTime);
        await recordColumnLineage(tx, d, dataset, resolved, event.eventTime);
        const label = versionFacet(d);
        if (label === null) await recordDatasetFacets(tx, d, dataset, resolved, event.eventTime);
        else await recordVersion(tx, d, dataset.id, label, resolved, actor, event.eventTime, now);
      }
      return null;
    },
  };
}
