// Marquez's JSON shapes (its REST API, v1) built from runledger rows: namespaces, datasets and
// their versions, jobs, runs, lineage graph nodes and column-lineage nodes. Shapes only: the
// door's handlers load what they need through the services, as the caller.
import type { Dataset, DatasetVersion } from '../../modules/datasets/service.js';
import type { JobRow, JobVersionRow } from '../../modules/pipelines/jobs.js';
import { facetValue, facetValues } from '../../modules/pipelines/rules.js';
import type { PipelineRunRow } from '../../modules/pipelines/service.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function namespaceJson(n: { name: string; createdAt: Date; updatedAt: Date; ownerName: string }) {
  return { name: n.name, createdAt: iso(n.createdAt), updatedAt: iso(n.updatedAt), ownerName: n.ownerName, description: null, isHidden: false };
}

type SchemaField = { name: string; type?: string | null; description?: string | null };

/** Fields from a schema facet (the version's, else the dataset's own), as Marquez lists them. */
function fieldsOf(...facetSets: unknown[]): { name: string; type: string | null; tags: string[]; description: string | null }[] {
  for (const facets of facetSets) {
    const schema = facets && typeof facets === 'object' ? (facets as Record<string, { value?: { fields?: unknown } }>).schema?.value : undefined;
    if (schema && Array.isArray(schema.fields)) {
      return (schema.fields as SchemaField[])
        .filter((f) => f && typeof f.name === 'string')
        .map((f) => ({
          name: f.name,
          type: typeof f.type === 'string' ? f.type : null,
          tags: [],
          description: typeof f.description === 'string' ? f.description : null,
        }));
    }
  }
  return [];
}

/** Dataset and version facets together, the version's winning: what Marquez shows as a dataset's facets. */
function mergedFacets(dataset: Dataset, version: DatasetVersion | null) {
  return { ...(facetValues(dataset.facets) ?? {}), ...(facetValues(version?.facets) ?? {}) };
}

export function datasetJson(dataset: Dataset, latest: DatasetVersion | null) {
  const facets = mergedFacets(dataset, latest);
  const documentation = facetValue((dataset.facets ?? {}) as never, 'documentation')?.description;
  return {
    id: { namespace: dataset.namespace, name: dataset.name },
    type: 'DB_TABLE',
    name: dataset.name,
    physicalName: dataset.name,
    createdAt: iso(dataset.createdAt),
    updatedAt: iso(latest?.createdAt ?? dataset.createdAt),
    namespace: dataset.namespace,
    sourceName: dataset.namespace,
    fields: fieldsOf(latest?.facets, dataset.facets),
    tags: [],
    lastModifiedAt: iso(latest?.createdAt),
    lastLifecycleState: null,
    description: typeof documentation === 'string' ? documentation : dataset.description,
    currentVersion: latest?.version ?? null,
    columnLineage: null,
    facets,
    deleted: false,
  };
}

export function datasetVersionJson(dataset: Dataset, version: DatasetVersion, producedBy: PipelineRunRow | null) {
  return {
    id: { namespace: dataset.namespace, name: dataset.name, version: version.version },
    type: 'DB_TABLE',
    name: dataset.name,
    physicalName: dataset.name,
    createdAt: iso(version.createdAt),
    version: version.version,
    namespace: dataset.namespace,
    sourceName: dataset.namespace,
    fields: fieldsOf(version.facets, dataset.facets),
    tags: [],
    lifecycleState: null,
    description: dataset.description,
    createdByRun: producedBy ? { id: producedBy.runUuid, state: runState(producedBy.state) } : null,
    schema: version.schema ?? null,
    facets: mergedFacets(dataset, version),
  };
}

/** Marquez's run states: NEW, RUNNING, COMPLETED, FAILED, ABORTED. */
export function runState(state: PipelineRunRow['state']): string {
  return { UNKNOWN: 'NEW', START: 'RUNNING', RUNNING: 'RUNNING', OTHER: 'RUNNING', COMPLETE: 'COMPLETED', FAIL: 'FAILED', ABORT: 'ABORTED' }[state];
}

export interface RunContext {
  job: JobRow | null;
  version: JobVersionRow | null;
  inputs: { namespace: string; name: string; version: string }[];
  outputs: { namespace: string; name: string; version: string }[];
}

export function runJson(run: PipelineRunRow, context: RunContext) {
  const versionId = (v: { namespace: string; name: string; version: string }) => ({ datasetVersionId: v, facets: {} });
  return {
    id: run.runUuid,
    createdAt: iso(run.firstEventAt ?? run.createdAt),
    updatedAt: iso(run.stateAt ?? run.updatedAt),
    nominalStartTime: iso(run.nominalStartTime),
    nominalEndTime: iso(run.nominalEndTime),
    state: runState(run.state),
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    durationMs: run.startedAt && run.endedAt ? run.endedAt.getTime() - run.startedAt.getTime() : null,
    args: {},
    jobVersion: context.job && context.version ? { namespace: context.job.namespace, name: context.job.name, version: context.version.version } : null,
    inputDatasetVersions: context.inputs.map(versionId),
    outputDatasetVersions: context.outputs.map(versionId),
    context: {},
    facets: facetValues(run.runFacets) ?? {},
  };
}

export interface JobContext {
  current: JobVersionRow | null;
  inputs: Dataset[];
  outputs: Dataset[];
  latestRun: ReturnType<typeof runJson> | null;
}

export function jobJson(job: JobRow, context: JobContext) {
  const facets = facetValues(job.facets) ?? {};
  const jobType = facetValue(job.facets, 'jobType');
  const location = facetValue(job.facets, 'sourceCodeLocation');
  const documentation = facetValue(job.facets, 'documentation')?.description;
  const dot = job.name.lastIndexOf('.');
  return {
    id: { namespace: job.namespace, name: job.name },
    type: typeof jobType?.processingType === 'string' ? jobType.processingType : 'BATCH',
    name: job.name,
    simpleName: dot > 0 ? job.name.slice(dot + 1) : job.name,
    parentJobName: null,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    namespace: job.namespace,
    inputs: context.inputs.map((d) => ({ namespace: d.namespace, name: d.name })),
    outputs: context.outputs.map((d) => ({ namespace: d.namespace, name: d.name })),
    location: typeof location?.url === 'string' ? location.url : null,
    description: typeof documentation === 'string' ? documentation : null,
    latestRun: context.latestRun,
    latestRuns: context.latestRun ? [context.latestRun] : [],
    facets,
    currentVersion: context.current?.version ?? null,
    parentJobUuid: null,
    tags: [],
  };
}

/** Marquez's node ids: `dataset:<namespace>:<name>`, `job:<namespace>:<name>`, `datasetField:<namespace>:<name>:<field>`. */
export const nodeId = (kind: 'dataset' | 'job', key: { namespace: string; name: string }) => `${kind}:${key.namespace}:${key.name}`;
