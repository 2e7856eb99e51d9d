// GraphQL of jobs: the Job and JobVersion nodes (what a pipeline job is, each version its
// defining facets make, what each reads and writes, their runs), `job(namespace, name)`,
// `jobs(namespace)`, and on PipelineRun its job, version, duration and raw events.
import { forwardConnection, numberCursor, numberPageArgs } from '../../connections.js';
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { loadNodes } from '../../loaders.js';
import { datasetLoader } from '../datasets/loaders.js';
import { DatasetRef } from '../datasets/schema.js';
import { ProjectRef, projectLoader } from '../projects/schema.js';
import {
  currentJobVersionLoader,
  datasetWritersLoader,
  jobLoader,
  jobVersionDatasetsLoader,
  jobVersionLoader,
  jobVersionsLoader,
  latestJobRunLoader,
} from './job-loaders.js';
import type { JobRow, JobVersionRow } from './jobs.js';
import { pipelineRunLoader } from './loaders.js';
import { facetValue, facetValues } from './rules.js';
import { PipelineRunRef } from './schema.js';
import type { PipelineRunRow } from './service.js';
import type { KeptEventRow } from './store.js';

export const JobRef = builder.objectRef<JobRow>('Job');
export const JobVersionRef = builder.objectRef<JobVersionRow>('JobVersion');
const LineageEventRef = builder.objectRef<KeptEventRow>('OpenLineageEvent');

async function versionDatasets(ctx: Context, version: JobVersionRow, direction: 'INPUT' | 'OUTPUT') {
  const links = (await jobVersionDatasetsLoader(ctx).load(version)).filter((l) => l.direction === direction);
  return (await Promise.all(links.map((l) => datasetLoader(ctx).load(l.datasetId)))).filter((d) => d !== null);
}

async function currentVersion(ctx: Context, job: JobRow) {
  const id = await currentJobVersionLoader(ctx).load(job);
  return id === null ? null : jobVersionLoader(ctx).load(id);
}

builder.node(JobRef, {
  description:
    'A pipeline job (an Airflow task or DAG, a dbt model, a Spark application), named by its OpenLineage namespace and name. ' +
    'It belongs to the project its namespace maps to; its versions are what its defining facets (source code, SQL, code location) made it.',
  id: { resolve: (j) => j.id },
  authScopes: (j) => ({ readProject: j.projectId }),
  loadMany: (ids, ctx) => loadNodes(jobLoader(ctx), ids, JobRef.name),
  fields: (t) => ({
    namespace: t.exposeString('namespace', { description: 'OpenLineage job namespace, verbatim (e.g. "airflow://production").' }),
    name: t.exposeString('name', { description: 'OpenLineage job name, verbatim (e.g. "etl_dag.dedup").' }),
    project: t.field({
      type: ProjectRef,
      description: 'The project its namespace maps to.',
      resolve: async (j, _a, ctx) => (await projectLoader(ctx).load(j.projectId))!,
    }),
    facets: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Job facets by name, each from the latest event that sent it.',
      resolve: (j) => facetValues(j.facets),
    }),
    type: t.string({
      nullable: true,
      description: 'The jobType facet as "processingType/integration/jobType", e.g. "BATCH/SPARK/SQL_JOB"; null when no event sent one.',
      resolve: (j) => {
        const f = facetValue(j.facets, 'jobType');
        return f ? [f.processingType, f.integration, f.jobType].filter((x) => typeof x === 'string').join('/') || null : null;
      },
    }),
    description: t.string({
      nullable: true,
      description: 'The documentation facet of the job.',
      resolve: (j) => (facetValue(j.facets, 'documentation')?.description as string | undefined) ?? null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Event time of the earliest event about the job.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Event time of the latest event about the job.' }),
    currentVersion: t.field({
      type: JobVersionRef,
      nullable: true,
      description: 'The version of its latest run (by first event time), else of its latest JobEvent.',
      resolve: (j, _a, ctx) => currentVersion(ctx, j),
    }),
    versions: t.field({
      type: [JobVersionRef],
      description: 'Every version, newest first.',
      resolve: (j, _a, ctx) => jobVersionsLoader(ctx).load(j),
    }),
    latestRun: t.field({
      type: PipelineRunRef,
      nullable: true,
      description: 'Its latest run, by first event time.',
      resolve: (j, _a, ctx) => latestJobRunLoader(ctx).load(j),
    }),
    runs: t.connection({
      type: PipelineRunRef,
      description: 'Its runs, newest first (by first event time).',
      resolve: async (j, args, ctx) => {
        const { first, after } = numberPageArgs(args);
        const offset = after ?? 0;
        const page = await ctx.services.jobs.runsOf(ctx.access, j, { first, offset });
        for (const r of page.runs) pipelineRunLoader(ctx).prime(r.id, r);
        return forwardConnection(
          page.runs.map((r, i) => ({ node: r, cursor: numberCursor(offset + i + 1) })),
          page.hasNextPage,
          after,
        );
      },
    }),
    inputs: t.field({
      type: [DatasetRef],
      description: 'Datasets the current version reads (its runs declared them, or a JobEvent did), those the caller may see.',
      resolve: async (j, _a, ctx) => {
        const v = await currentVersion(ctx, j);
        return v ? versionDatasets(ctx, v, 'INPUT') : [];
      },
    }),
    outputs: t.field({
      type: [DatasetRef],
      description: 'Datasets the current version writes, those the caller may see.',
      resolve: async (j, _a, ctx) => {
        const v = await currentVersion(ctx, j);
        return v ? versionDatasets(ctx, v, 'OUTPUT') : [];
      },
    }),
  }),
});

builder.node(JobVersionRef, {
  description: 'One version of a job: the same defining facets (source code, SQL, code location) are the same version, whenever and by whom it ran.',
  id: { resolve: (v) => v.id },
  // Backstop: the loader already drops versions of jobs the caller may not see.
  authScopes: async (v, ctx) => ({ readProject: (await jobLoader(ctx).load(v.jobId))?.projectId ?? 0 }),
  loadMany: (ids, ctx) => loadNodes(jobVersionLoader(ctx), ids, JobVersionRef.name),
  fields: (t) => ({
    version: t.exposeString('version', { description: "A UUID derived from the job's namespace, name and defining facets (Marquez's job version)." }),
    job: t.field({ type: JobRef, resolve: async (v, _a, ctx) => (await jobLoader(ctx).load(v.jobId))! }),
    facets: t.expose('facets', { type: 'JSON', description: 'The defining facets (sourceCode, sql, sourceCodeLocation) as the events sent them.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Event time of its earliest run or JobEvent.' }),
    inputs: t.field({
      type: [DatasetRef],
      description: 'Datasets it reads: declared by its runs, or statically by JobEvents.',
      resolve: (v, _a, ctx) => versionDatasets(ctx, v, 'INPUT'),
    }),
    outputs: t.field({ type: [DatasetRef], description: 'Datasets it writes.', resolve: (v, _a, ctx) => versionDatasets(ctx, v, 'OUTPUT') }),
  }),
});

builder.objectType(LineageEventRef, {
  description: 'An OpenLineage event as it was received, kept verbatim.',
  fields: (t) => ({
    eventType: t.exposeString('eventType', {
      nullable: true,
      description: 'START, RUNNING, COMPLETE, ABORT, FAIL or OTHER; null for JobEvents and DatasetEvents.',
    }),
    eventTime: t.expose('eventTime', { type: 'DateTime' }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime', description: 'When runledger accepted it.' }),
    schemaURL: t.exposeString('schemaUrl', { nullable: true, description: 'The spec URL it named; null when it named none.' }),
    warnings: t.exposeStringList('warnings', { description: 'What was accepted though not as the spec says, e.g. a missing schemaURL.' }),
    body: t.expose('body', { type: 'JSON', description: 'The event, as sent.' }),
  }),
});

builder.objectFields(PipelineRunRef, (t) => ({
  job: t.field({
    type: JobRef,
    nullable: true,
    description: 'Its job (null for a run known only as a parent).',
    resolve: (r, _a, ctx) => (r.jobId ? jobLoader(ctx).load(r.jobId) : null),
  }),
  jobVersion: t.field({
    type: JobVersionRef,
    nullable: true,
    description: 'The version of its job it ran, from its job facets.',
    resolve: (r, _a, ctx) => (r.jobVersionId ? jobVersionLoader(ctx).load(r.jobVersionId) : null),
  }),
  durationMs: t.float({
    nullable: true,
    description: 'From its first START or RUNNING to its end, in milliseconds; null until both are known.',
    resolve: (r: PipelineRunRow) => (r.startedAt && r.endedAt ? r.endedAt.getTime() - r.startedAt.getTime() : null),
  }),
  events: t.field({
    type: [LineageEventRef],
    description: 'The raw OpenLineage events about this run, in event-time order, as received.',
    args: {
      first: t.arg.int({ defaultValue: 100, description: 'At most this many (1 to 1000).' }),
      offset: t.arg.int({ defaultValue: 0, description: 'Skip this many.' }),
    },
    resolve: (r, args, ctx) => {
      const { first } = numberPageArgs({ first: args.first }, 100);
      return ctx.services.pipelines.eventsOf(ctx.access, [r], { first, offset: Math.max(0, args.offset ?? 0) });
    },
  }),
}));

builder.queryFields((t) => ({
  job: t.field({
    type: JobRef,
    nullable: true,
    description: 'A job by its OpenLineage namespace and name, or null (also when it belongs to a project the caller has no role in).',
    args: { namespace: t.arg.string({ required: true }), name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.jobs.byKey(ctx.access, args.namespace, args.name),
  }),
  jobs: t.connection({
    type: JobRef,
    description: 'Jobs the caller may see, of one namespace or all, by namespace and name.',
    args: { namespace: t.arg.string({ description: 'Only jobs of this namespace.' }) },
    resolve: async (_root, args, ctx) => {
      const { first, after } = numberPageArgs(args);
      const offset = after ?? 0;
      const page = await ctx.services.jobs.list(ctx.access, { namespace: args.namespace ?? null, first, offset });
      for (const j of page.jobs) jobLoader(ctx).prime(j.id, j);
      return forwardConnection(
        page.jobs.map((j, i) => ({ node: j, cursor: numberCursor(offset + i + 1) })),
        page.hasNextPage,
        after,
      );
    },
  }),
}));

builder.objectFields(DatasetRef, (t) => ({
  writtenBy: t.field({
    type: [JobRef],
    description: 'Jobs whose current version writes this dataset (see Job.outputs), those the caller may see, by namespace and name.',
    resolve: async (d, _a, ctx) => (await datasetWritersLoader(ctx).load(d)).map((w) => w.job),
  }),
}));
