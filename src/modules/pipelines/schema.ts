// GraphQL of pipeline runs: the PipelineRun node (a lineage node like any other), `pipelineRun`
// by OpenLineage run id, and what a run reached or would have reached (`impact`).
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { loadNodes } from '../../loaders.js';
import { datasetLoader } from '../datasets/loaders.js';
import { DatasetRef } from '../datasets/schema.js';
import { loadVersions } from '../lineage/incidents-schema.js';
import { addLineageField, registerLineageNode } from '../lineage/schema.js';
import type { NodeRef } from '../lineage/graph.js';
import { ProjectRef, projectLoader } from '../projects/schema.js';
import { ModelVersionRef } from '../registry/schema.js';
import { facetValues } from './rules.js';
import { pipelineRunByUuidLoader, pipelineRunDatasetsLoader, pipelineRunLoader } from './loaders.js';
import type { PipelineRunRow } from './service.js';

export const PipelineRunRef = builder.objectRef<PipelineRunRow>('PipelineRun');

const PipelineRunStateEnum = builder.enumType('PipelineRunState', {
  description:
    'Where a pipeline run stands, from its OpenLineage events: an ended state (COMPLETE, FAIL, ABORT) is never replaced by a late START or RUNNING; ' +
    'UNKNOWN: known only as the parent of another run.',
  values: ['UNKNOWN', 'START', 'RUNNING', 'COMPLETE', 'FAIL', 'ABORT', 'OTHER'] as const,
});

async function declaredDatasets(ctx: Context, run: PipelineRunRow, direction: 'INPUT' | 'OUTPUT') {
  const links = (await pipelineRunDatasetsLoader(ctx).load(run)).filter((l) => l.direction === direction);
  const datasets = await Promise.all(links.map((l) => datasetLoader(ctx).load(l.datasetId)));
  return datasets.filter((d) => d !== null);
}

builder.node(PipelineRunRef, {
  description:
    'One run of a data pipeline job (an Airflow task or DAG run, a dbt model, a Spark job), reported by OpenLineage events to POST /api/v1/lineage. ' +
    'A lineage node: dataset versions it read are INPUT_TO it, versions it produced (on COMPLETE) come out of it by PRODUCED.',
  id: { resolve: (r) => r.id },
  authScopes: (r) => ({ readProject: r.projectId }),
  loadMany: (ids, ctx) => loadNodes(pipelineRunLoader(ctx), ids, PipelineRunRef.name),
  fields: (t) => ({
    project: t.field({
      type: ProjectRef,
      description: 'The project its job namespace maps to.',
      resolve: async (r, _a, ctx) => (await projectLoader(ctx).load(r.projectId))!,
    }),
    runId: t.exposeString('runUuid', { description: 'The OpenLineage run id (a UUID).' }),
    jobNamespace: t.exposeString('jobNamespace', { description: 'OpenLineage job namespace, e.g. the Airflow instance.' }),
    jobName: t.exposeString('jobName', { description: 'OpenLineage job name, e.g. "etl_dag.dedup".' }),
    state: t.field({ type: PipelineRunStateEnum, description: 'From the events: the ended state once any arrived, else the latest.', resolve: (r) => r.state }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true, description: 'Event time of the earliest START or RUNNING event.' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true, description: 'Event time of the COMPLETE, FAIL or ABORT event.' }),
    nominalStartTime: t.expose('nominalStartTime', {
      type: 'DateTime',
      nullable: true,
      description: 'The scheduled time (nominalTime facet), e.g. the day an Airflow run is for.',
    }),
    nominalEndTime: t.expose('nominalEndTime', { type: 'DateTime', nullable: true, description: 'End of the scheduled interval (nominalTime facet).' }),
    errorMessage: t.exposeString('errorMessage', { nullable: true, description: 'The errorMessage facet of a failed run.' }),
    parentRunId: t.exposeString('parentRunUuid', {
      nullable: true,
      description: 'OpenLineage run id of the parent (parent facet), e.g. the DAG run of a task run.',
    }),
    parent: t.field({
      type: PipelineRunRef,
      nullable: true,
      description: 'The parent run (parent facet), when visible.',
      resolve: (r, _a, ctx) => (r.parentRunUuid ? pipelineRunByUuidLoader(ctx).load(r.parentRunUuid) : null),
    }),
    runFacets: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Run facets by name, each from the latest event that sent it.',
      resolve: (r) => facetValues(r.runFacets),
    }),
    jobFacets: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Job facets by name (sourceCodeLocation, sql, ...), each from the latest event that sent it.',
      resolve: (r) => facetValues(r.jobFacets),
    }),
    inputs: t.field({
      type: [DatasetRef],
      description: 'Datasets the run read (those the caller may see).',
      resolve: (r, _a, ctx) => declaredDatasets(ctx, r, 'INPUT'),
    }),
    outputs: t.field({
      type: [DatasetRef],
      description: 'Datasets the run wrote or, if it did not complete, was to write (those the caller may see).',
      resolve: (r, _a, ctx) => declaredDatasets(ctx, r, 'OUTPUT'),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the first event about it arrived.' }),
    impact: t.field({
      type: [ModelVersionRef],
      description:
        'Model versions downstream of this run: of what it produced, and of the versions of every dataset it writes (recorded by `at` when given). ' +
        'For a FAIL or ABORT run that produced nothing this answers what it would have affected: the models fed by the data it was to replace.',
      args: {
        aliases: t.arg.stringList({ description: 'Keep versions that held one of these aliases (e.g. ["production"]).' }),
        at: t.arg({ type: 'DateTime', description: 'As of this instant: edges, versions and aliases as they stood then.' }),
      },
      resolve: async (r, args, ctx) => {
        const at = args.at ?? null;
        const versions = await ctx.services.pipelines.declaredOutputVersions(ctx.access, r, at);
        const starts: NodeRef[] = [{ type: 'PipelineRun', id: r.id }, ...versions.map((id) => ({ type: 'DatasetVersion' as const, id }))];
        const found = await ctx.services.incidents.impactOf(ctx.access, starts, { aliases: args.aliases ?? null, at });
        return loadVersions(
          ctx,
          found.map((v) => v.modelVersionId),
        );
      },
    }),
  }),
});

registerLineageNode<PipelineRunRow>('PipelineRun', {
  ref: 'PipelineRun',
  load: (ctx, id) => pipelineRunLoader(ctx).load(id),
  label: (r) => `${r.jobName} ${r.state.toLowerCase()}`,
});
addLineageField(PipelineRunRef, 'PipelineRun', (r) => r.id);

builder.queryField('pipelineRun', (t) =>
  t.field({
    type: PipelineRunRef,
    nullable: true,
    description: 'A pipeline run by its OpenLineage run id, or null (also when it belongs to a project the caller has no role in).',
    args: { runId: t.arg.string({ required: true, description: 'The OpenLineage run id (a UUID).' }) },
    resolve: (_root, args, ctx) => pipelineRunByUuidLoader(ctx).load(args.runId.trim().toLowerCase()),
  }),
);
