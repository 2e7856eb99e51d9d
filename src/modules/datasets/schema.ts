// GraphQL types of datasets: Dataset and DatasetVersion nodes, Run.inputs, registerDatasetVersion and logInputs.
import { forwardConnection, numberCursor, numberPageArgs } from '../../connections.js';
import { builder } from '../../builder.js';
import { ValidationError } from '../../errors.js';
import { decodeId } from '../../ids.js';
import { loadNodes } from '../../loaders.js';
import { ProjectRef, projectLoader } from '../projects/schema.js';
import { ModelVersionRef } from '../registry/schema.js';
import { modelVersionLoader } from '../registry/loaders.js';
import { runLoader } from '../runs/loaders.js';
import { RunConnection, RunRef } from '../runs/schema.js';
import { datasetInputsLoader, datasetLoader, datasetVersionLoader, modelInputsLoader, parentsLoader } from './loaders.js';
import type { Dataset, DatasetVersion } from './service.js';
import { facetValues } from '../pipelines/rules.js';

export const DatasetRef = builder.objectRef<Dataset>('Dataset');
export const DatasetVersionRef = builder.objectRef<DatasetVersion>('DatasetVersion');

const CoverageRangeInput = builder.inputType('CoverageRangeInput', {
  description: 'A time window, e.g. August 2026 = 2026-08-01T00:00:00Z to 2026-09-01T00:00:00Z.',
  fields: (t) => ({
    start: t.field({ type: 'DateTime', required: true }),
    end: t.field({ type: 'DateTime', required: true }),
  }),
});

builder.node(DatasetRef, {
  description: 'A named dataset whose content changes over time, one immutable version at a time. It belongs to one project, whose roles govern it.',
  id: { resolve: (d) => d.id },
  // Backstop: the loader already drops datasets of projects the caller has no role in.
  authScopes: (d) => ({ readProject: d.projectId }),
  loadMany: (ids, ctx) => loadNodes(datasetLoader(ctx), ids, DatasetRef.name),
  fields: (t) => ({
    namespace: t.exposeString('namespace', {
      description:
        'OpenLineage namespace, verbatim (e.g. "postgres://db:5432" or "s3://bucket"); "" for a dataset registered without one. With name, the identity of the dataset.',
    }),
    name: t.exposeString('name', { description: 'Name, verbatim, unique within its namespace (across every project).' }),
    project: t.field({
      type: ProjectRef,
      description: 'The project that owns it: its roles decide who reads and who registers versions.',
      resolve: async (d, _a, ctx) => (await projectLoader(ctx).load(d.projectId))!,
    }),
    description: t.exposeString('description', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    versions: t.connection({
      type: DatasetVersionRef,
      description: 'Versions, newest first.',
      args: {
        covering: t.arg({ type: CoverageRangeInput, description: 'Only versions whose coverage window contains this whole range ("the August data").' }),
      },
      resolve: async (d, args, ctx) => {
        const { first, after } = numberPageArgs(args);
        if (args.covering && args.covering.end < args.covering.start) throw new ValidationError('covering.end', 'must not be before covering.start');
        const page = await ctx.services.datasets.versionsOf(ctx.access, d, { first, afterId: after, covering: args.covering ?? null });
        return forwardConnection(
          page.versions.map((v) => ({ node: v, cursor: numberCursor(v.id) })),
          page.hasNextPage,
          after,
        );
      },
    }),
    version: t.field({
      type: DatasetVersionRef,
      nullable: true,
      description: 'The version with this label.',
      args: { version: t.arg.string({ required: true }) },
      resolve: (d, args, ctx) => ctx.services.datasets.versionByLabel(ctx.access, d.name, args.version, d.namespace),
    }),
  }),
});

builder.node(DatasetVersionRef, {
  description: 'One immutable snapshot of a dataset, identified by its content digest.',
  id: { resolve: (v) => v.id },
  // Visible with its dataset (invisible datasets load as null: NOT_FOUND).
  authScopes: async (v, ctx) => ({ readProject: (await datasetLoader(ctx).load(v.datasetId))?.projectId ?? 0 }),
  loadMany: (ids, ctx) => loadNodes(datasetVersionLoader(ctx), ids, DatasetVersionRef.name),
  fields: (t) => ({
    dataset: t.field({ type: DatasetRef, resolve: async (v, _a, ctx) => (await datasetLoader(ctx).load(v.datasetId))! }),
    version: t.exposeString('version', { description: 'The label, unique within the dataset (e.g. "v42" or an Iceberg snapshot id).' }),
    digest: t.exposeString('digest', {
      description:
        'sha256 of the content, lowercase hex. A version first seen in an OpenLineage event (which carries no content digest) has sha256 of "openlineage\\n<namespace>\\n<name>\\n<version>".',
    }),
    facets: t.field({
      type: 'JSON',
      nullable: true,
      description: 'OpenLineage dataset facets sent for this version (schema, dataSource, storage, outputStatistics, ...), by facet name; null when none.',
      resolve: (v) => facetValues(v.facets),
    }),
    sourceUri: t.exposeString('sourceUri', { nullable: true, description: 'Where the data lives, e.g. s3://bucket/churn/v42.' }),
    sourceType: t.exposeString('sourceType', {
      nullable: true,
      description: "The kind of source the client described (MLflow's source_type: local, s3, http, delta_table, ...), as sent.",
    }),
    source: t.exposeString('source', {
      nullable: true,
      description: 'The source as the client described it, verbatim (MLflow\'s Dataset.source, e.g. {"uri": "s3://raw/clicks"}).',
    }),
    rowCount: t.field({ type: 'SafeInt', nullable: true, resolve: (v) => (v.rowCount === null ? null : Number(v.rowCount)) }),
    schema: t.expose('schema', { type: 'JSON', nullable: true, description: 'Column names and types, as the client sent them.' }),
    splits: t.expose('splits', { type: 'JSON', nullable: true, description: 'Split sizes, e.g. {"train": 8000, "validation": 1000}.' }),
    coverageStart: t.expose('coverageStart', { type: 'DateTime', nullable: true, description: 'Start of the time window the data describes.' }),
    coverageEnd: t.expose('coverageEnd', { type: 'DateTime', nullable: true, description: 'End of the time window the data describes.' }),
    createdBy: t.exposeString('createdBy', { nullable: true, description: 'Who registered it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    derivedFrom: t.field({
      type: [DatasetVersionRef],
      description: 'The versions this one was produced from (those of datasets the caller may see).',
      resolve: async (v, _a, ctx) => (await parentsLoader(ctx).load(v.id)).map((p) => p.version),
    }),
    usedBy: t.connection(
      {
        type: RunRef,
        description: 'Runs that read this version, oldest first (deleted runs, and runs of projects the caller has no role in, left out).',
        args: { role: t.arg.string({ description: 'Only runs that used it in this role, e.g. "train".' }) },
        resolve: async (v, args, ctx) => {
          const { first, after } = numberPageArgs(args);
          const page = await ctx.services.datasets.usedBy(ctx.access, v.id, { role: args.role ?? null, first, afterRunId: after });
          for (const run of page.runs) runLoader(ctx).prime(run.id, run);
          const edges = page.runs.map((r) => ({ node: r, cursor: numberCursor(r.id) }));
          return { ...forwardConnection(edges, page.hasNextPage, after), totalCount: page.totalCount };
        },
      },
      RunConnection,
    ),
  }),
});

const RunInputRef = builder.simpleObject('RunInput', {
  description: 'Something a run read: a dataset version or (for fine-tuning) a model version, with its role.',
  fields: (t) => ({
    role: t.string({ description: 'e.g. train, validation, test, base-model.' }),
    datasetVersion: t.field({ type: DatasetVersionRef, nullable: true }),
    modelVersion: t.field({ type: ModelVersionRef, nullable: true }),
    createdAt: t.field({ type: 'DateTime', description: 'When the link was logged.' }),
  }),
});

builder.objectFields(RunRef, (t) => ({
  inputs: t.field({
    type: [RunInputRef],
    description: 'Dataset versions, then model versions, the run read, in the order they were logged (those the caller may see).',
    args: { role: t.arg.string({ description: 'Only inputs with this role.' }) },
    resolve: async (r, args, ctx) => {
      const [datasets, models] = await Promise.all([datasetInputsLoader(ctx).load(r), modelInputsLoader(ctx).load(r)]);
      const inputs = [
        ...(await Promise.all(
          datasets.map(async (i) => ({
            role: i.role,
            createdAt: i.createdAt,
            datasetVersion: await datasetVersionLoader(ctx).load(i.datasetVersionId),
            modelVersion: null,
          })),
        )),
        ...(await Promise.all(
          models.map(async (i) => ({
            role: i.role,
            createdAt: i.createdAt,
            datasetVersion: null,
            modelVersion: await modelVersionLoader(ctx).load(i.modelVersionId),
          })),
        )),
      ];
      // An input from a project the caller has no role in loaded as null: leave it out.
      const visible = inputs.filter((i) => i.datasetVersion !== null || i.modelVersion !== null);
      return args.role ? visible.filter((i) => i.role === args.role) : visible;
    },
  }),
}));

builder.queryFields((t) => ({
  dataset: t.field({
    type: DatasetRef,
    nullable: true,
    description: 'The dataset with this namespace and name, or null (also when it belongs to a project the caller has no role in).',
    args: {
      name: t.arg.string({ required: true }),
      namespace: t.arg.string({ defaultValue: '', description: 'OpenLineage namespace; "" for datasets registered without one.' }),
    },
    resolve: (_root, args, ctx) => ctx.services.datasets.get(ctx.access, args.name, args.namespace ?? ''),
  }),
  datasetVersion: t.field({
    type: DatasetVersionRef,
    nullable: true,
    description: 'A dataset version by dataset name and version label, or null (also when the dataset belongs to a project the caller has no role in).',
    args: {
      dataset: t.arg.string({ required: true }),
      version: t.arg.string({ required: true }),
      namespace: t.arg.string({ defaultValue: '', description: 'OpenLineage namespace of the dataset; "" for datasets registered without one.' }),
    },
    resolve: (_root, args, ctx) => ctx.services.datasets.versionByLabel(ctx.access, args.dataset, args.version, args.namespace ?? ''),
  }),
}));

const RegisterDatasetVersionInput = builder.inputType('RegisterDatasetVersionInput', {
  fields: (t) => ({
    namespace: t.string({
      description:
        'OpenLineage namespace of the dataset, verbatim (default ""). Name the namespace and name a pipeline reports (e.g. "postgres://db:5432" and "analytics.public.features") to meet the versions its OpenLineage events recorded.',
    }),
    dataset: t.string({
      required: true,
      description: 'Dataset name (created on first use): letters, digits and _ . - / or spaces. Names are unique within a namespace, across projects.',
    }),
    project: t.string({
      description:
        'Name of the project that owns the dataset. Required when this call creates the dataset; when it exists it may be left out, and if given must be its project (else CONFLICT). Needs the EDITOR role there.',
    }),
    version: t.string({ required: true, description: 'Version label, unique within the dataset.' }),
    digest: t.string({
      required: true,
      description:
        'sha256 of the content (64 hex characters, optionally prefixed "sha256:"). The same dataset and digest registered again returns the existing version.',
    }),
    description: t.string({ description: 'Description of the dataset, used only when this call creates it.' }),
    sourceUri: t.string({ description: 'Where the data lives: s3://..., an Iceberg snapshot id, ...' }),
    coverageStart: t.field({ type: 'DateTime', description: 'Start of the time window the data describes.' }),
    coverageEnd: t.field({ type: 'DateTime', description: 'End of the time window the data describes.' }),
    rowCount: t.field({ type: 'SafeInt' }),
    schema: t.field({ type: 'JSON' }),
    splits: t.field({ type: 'JSON' }),
    derivedFrom: t.idList({ description: 'DatasetVersion ids this version was produced from.' }),
  }),
});

const RegisterDatasetVersionPayload = builder.simpleObject('RegisterDatasetVersionPayload', {
  fields: (t) => ({
    datasetVersion: t.field({ type: DatasetVersionRef }),
    created: t.boolean({ description: 'False when this dataset and digest were already registered (a retry).' }),
  }),
});

const DatasetInputInput = builder.inputType('DatasetInputInput', {
  fields: (t) => ({
    datasetVersionId: t.id({ required: true }),
    role: t.string({ required: true, description: 'e.g. train, validation, test.' }),
  }),
});

const ModelInputInput = builder.inputType('ModelInputInput', {
  fields: (t) => ({
    modelVersionId: t.id({ required: true }),
    role: t.string({ required: true, description: 'e.g. base-model, teacher.' }),
  }),
});

const LogInputsInput = builder.inputType('LogInputsInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    datasets: t.field({ type: [DatasetInputInput] }),
    models: t.field({ type: [ModelInputInput], description: 'Model versions the run started from (fine-tuning).' }),
  }),
});

const LogInputsPayload = builder.simpleObject('LogInputsPayload', {
  fields: (t) => ({
    run: t.field({ type: RunRef }),
    datasetInputsWritten: t.int({ description: 'New links (links logged before are not counted).' }),
    modelInputsWritten: t.int(),
  }),
});

builder.mutationFields((t) => ({
  registerDatasetVersion: t.field({
    type: RegisterDatasetVersionPayload,
    description:
      'Registers an immutable dataset version. Needs EDITOR in the project of the dataset. Retry-safe: the same dataset and digest return the existing version; the same label with another digest is a CONFLICT.',
    args: { input: t.arg({ type: RegisterDatasetVersionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const derivedFrom = (input.derivedFrom ?? []).map((id, i) => decodeId('DatasetVersion', String(id), `input.derivedFrom[${i}]`));
      return ctx.services.datasets.registerVersion(ctx.access, { ...input, derivedFrom });
    },
  }),
  logInputs: t.field({
    type: LogInputsPayload,
    description:
      'Links a run to the dataset versions (and model versions) it read, each with a role. Needs EDITOR on the run; the inputs must be visible to the caller. Logging a link again changes nothing.',
    args: { input: t.arg({ type: LogInputsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const runId = decodeId('Run', String(input.runId), 'input.runId');
      const datasets = (input.datasets ?? []).map((d, i) => ({
        role: d.role,
        datasetVersionId: decodeId('DatasetVersion', String(d.datasetVersionId), `input.datasets[${i}].datasetVersionId`),
      }));
      const models = (input.models ?? []).map((m, i) => ({
        role: m.role,
        modelVersionId: decodeId('ModelVersion', String(m.modelVersionId), `input.models[${i}].modelVersionId`),
      }));
      return ctx.services.datasets.logInputs(ctx.access, { runId, datasets, models });
    },
  }),
}));
