// GraphQL of incident response: `impact`, `models(usedDataset, alias, at)`, quarantining a
// dataset version, and the lineage fields of datasets, artifacts and model versions.
import DataLoader from 'dataloader';
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { decodeId } from '../../ids.js';
import { byId, manyByOwner } from '../../loaders.js';
import { artifactLoader } from '../artifacts/loaders.js';
import { ArtifactRef } from '../artifacts/schema.js';
import { datasetLoader, datasetVersionLoader } from '../datasets/loaders.js';
import { DatasetVersionRef } from '../datasets/schema.js';
import { modelLoader, modelVersionLoader } from '../registry/loaders.js';
import { AliasEventRef, ModelVersionRef } from '../registry/schema.js';
import type { ModelVersion } from '../registry/service.js';
import type { QuarantineOfVersion } from './incidents.js';
import type { DatasetQuarantineEvent, Quarantine } from './quarantine.js';
import { addLineageField, registerLineageNode } from './schema.js';
import { resolveRef, startNode } from '../refs/schema.js';
import { ValidationError } from '../../errors.js';

registerLineageNode('DatasetVersion', {
  ref: 'DatasetVersion',
  load: (ctx, id) => datasetVersionLoader(ctx).load(id),
  label: async (v, ctx) => `${(await datasetLoader(ctx).load(v.datasetId))?.name ?? 'dataset'}@${v.version}`,
});
registerLineageNode('Artifact', { ref: 'Artifact', load: (ctx, id) => artifactLoader(ctx).load(id), label: (a) => a.name });
registerLineageNode('ModelVersion', {
  ref: 'ModelVersion',
  load: (ctx, id) => modelVersionLoader(ctx).load(id),
  label: async (v, ctx) => `${(await modelLoader(ctx).load(v.modelId))?.name ?? 'model'} v${v.version}`,
});

addLineageField(DatasetVersionRef, 'DatasetVersion', (v) => v.id);
addLineageField(ArtifactRef, 'Artifact', (a) => a.id);
addLineageField(ModelVersionRef, 'ModelVersion', (v) => v.id);

const quarantineLoader = (ctx: Context) =>
  ctx.loaders.get('quarantine', (s) =>
    byId(
      (ids) => s.quarantines.visibleQuarantinesOf(ctx.access, ids),
      (q) => q.datasetVersionId,
    ),
  );
const quarantineHistoryLoader = (ctx: Context) =>
  ctx.loaders.get('quarantineHistory', (s) =>
    manyByOwner(
      (ids) => s.quarantines.historyOf(ctx.access, ids),
      (e) => e.datasetVersionId,
    ),
  );

/** Aliases per version as of one instant; one query per instant per request. */
const aliasesAtLoader = (ctx: Context, at: Date) =>
  ctx.loaders.get(`aliasesAt:${at.toISOString()}`, (s) => {
    return new DataLoader<ModelVersion, string[], number>(
      async (versions) => {
        const held = await s.incidents.aliasesOf(ctx.access, versions, at);
        return versions.map((v) => held.get(v.id) ?? []);
      },
      { cacheKeyFn: (v) => v.id },
    );
  });

const WHO = 'the API token\'s user; with authentication off, the request\'s x-runledger-user, else "local"';

export const QuarantineRef = builder.simpleObject('Quarantine', {
  description: 'A dataset version found bad: who said so, when and why.',
  fields: (t) => ({
    reason: t.string({ description: 'What is wrong with the data.' }),
    by: t.string({ nullable: true, description: `Who quarantined it: ${WHO}.` }),
    at: t.field({ type: 'DateTime', description: 'When it was quarantined.' }),
  }),
});

const QuarantineActionEnum = builder.enumType('QuarantineAction', {
  description: "What happened to a dataset version's quarantine.",
  values: {
    QUARANTINE: { description: 'quarantineDatasetVersion marked it bad.' },
    RELEASE: { description: 'releaseQuarantine lifted the quarantine.' },
  },
});

const QuarantineEventRef = builder.objectRef<DatasetQuarantineEvent>('QuarantineEvent');
builder.objectType(QuarantineEventRef, {
  description: 'One quarantine or release of a dataset version. Append-only: a database trigger refuses edits and deletes.',
  fields: (t) => ({
    action: t.field({ type: QuarantineActionEnum, resolve: (e) => e.action }),
    reason: t.exposeString('reason', { description: 'Why the data was quarantined, or why it was released.' }),
    by: t.exposeString('actor', { nullable: true, description: `Who acted: ${WHO}.` }),
    at: t.expose('at', { type: 'DateTime', description: 'When (server clock).' }),
  }),
});

builder.objectField(DatasetVersionRef, 'quarantineHistory', (t) =>
  t.field({
    type: [QuarantineEventRef],
    description: 'Every quarantine and release of this version, oldest first.',
    resolve: (v, _a, ctx) => quarantineHistoryLoader(ctx).load(v.id),
  }),
);

builder.objectField(DatasetVersionRef, 'quarantine', (t) =>
  t.field({
    type: QuarantineRef,
    nullable: true,
    description: 'Set while the data is quarantined (found bad and not released); models trained on it cannot be promoted without an override.',
    resolve: (v, _a, ctx) => quarantineLoader(ctx).load(v.id),
  }),
);

/** Per model version: the quarantined data upstream of it, one statement per batch. */
const quarantinedUpstreamLoader = (ctx: Context) =>
  ctx.loaders.get('quarantinedUpstream', (s) => {
    return new DataLoader<ModelVersion, QuarantineOfVersion | undefined, number>(
      async (versions) => {
        const found = new Map((await s.incidents.quarantinedUpstreamOfMany(ctx.access, versions)).map((q) => [q.modelVersionId, q]));
        return versions.map((v) => found.get(v.id));
      },
      { cacheKeyFn: (v) => v.id },
    );
  });

builder.objectFields(ModelVersionRef, (t) => ({
  trainedOnQuarantinedData: t.boolean({
    description:
      'True while a dataset version anywhere upstream (the inputs of the run that produced it, the data they were derived from, ' +
      'the data of a base model) is quarantined, including data in projects the caller has no role in: moving an alias onto ' +
      'this version needs an override.',
    resolve: async (v, _a, ctx) => {
      const q = await quarantinedUpstreamLoader(ctx).load(v);
      return q !== undefined && q.visibleDatasetVersionIds.length + q.hidden > 0;
    },
  }),
  quarantinedInputs: t.field({
    type: [DatasetVersionRef],
    description: 'The quarantined dataset versions upstream of this version that the caller may see (hiddenQuarantinedInputCount counts the others).',
    resolve: async (v, _a, ctx) => {
      const ids = (await quarantinedUpstreamLoader(ctx).load(v))?.visibleDatasetVersionIds ?? [];
      return (await datasetVersionLoader(ctx).loadMany(ids)).flatMap((d) => (d && !(d instanceof Error) ? [d] : []));
    },
  }),
  hiddenQuarantinedInputCount: t.int({
    description: 'Quarantined dataset versions upstream of this version in projects the caller has no role in: counted, never named.',
    resolve: async (v, _a, ctx) => (await quarantinedUpstreamLoader(ctx).load(v))?.hidden ?? 0,
  }),
}));

builder.objectField(ModelVersionRef, 'aliasesAt', (t) =>
  t.stringList({
    description: 'Aliases that pointed at this version at an instant, from the alias history.',
    args: { at: t.arg({ type: 'DateTime', required: true }) },
    resolve: (v, args, ctx) => aliasesAtLoader(ctx, args.at).load(v),
  }),
);

const DateRangeInput = builder.inputType('DateRangeInput', {
  description: 'A half-open time range [start, end).',
  fields: (t) => ({
    start: t.field({ type: 'DateTime', required: true }),
    end: t.field({ type: 'DateTime', required: true }),
  }),
});

const DatasetVersionFilterInput = builder.inputType('DatasetVersionFilter', {
  description: 'Selects dataset versions; every given criterion must hold. At least one is needed.',
  fields: (t) => ({
    namespace: t.string({ description: 'OpenLineage namespace of the dataset ("" for datasets registered without one).' }),
    name: t.string({ description: 'Dataset name.' }),
    version: t.string({ description: 'Version label.' }),
    digest: t.string({ description: 'Content sha256 (hex, with or without "sha256:").' }),
    coverageOverlaps: t.field({ type: DateRangeInput, description: 'Versions whose coverage window overlaps this range ("the August data").' }),
    createdAfter: t.field({ type: 'DateTime', description: 'Registered at or after this instant.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Registered before this instant.' }),
  }),
});

export async function loadVersions(ctx: Context, ids: readonly number[]): Promise<ModelVersion[]> {
  const versions = await Promise.all(ids.map((id) => modelVersionLoader(ctx).load(id)));
  return versions.filter((v): v is ModelVersion => v !== null);
}

builder.queryFields((t) => ({
  impact: t.field({
    type: [ModelVersionRef],
    description:
      'Model versions downstream of a dataset version, commit, run, artifact or model version (through derived data and fine-tuning), ' +
      'optionally only those holding one of `aliases`; with `at`, the graph and the aliases as they stood then. Read aliases with `aliasesAt(at)`.',
    args: {
      id: t.arg.id({ description: 'Global id of the bad node (or give `ref`).' }),
      ref: t.arg.string({ description: 'The bad node by a readable reference instead of `id`: "clicks@aug", "recommender/3", "project/run-name".' }),
      aliases: t.arg.stringList({ description: 'Keep versions that held one of these aliases (e.g. ["production"]).' }),
      at: t.arg({ type: 'DateTime', description: 'As of this instant.' }),
    },
    resolve: async (_root, args, ctx) => {
      const start = await startNode(ctx, args, { id: 'id', ref: 'ref' });
      const found = await ctx.services.incidents.impact(ctx.access, start, { aliases: args.aliases ?? null, at: args.at ?? null });
      return loadVersions(
        ctx,
        found.map((v) => v.modelVersionId),
      );
    },
  }),
  models: t.field({
    type: [ModelVersionRef],
    description:
      'Model versions trained on matching dataset versions, directly or through derived datasets and base models any number of hops up: ' +
      '"which production model used the August dataset". With `alias`, only versions holding it; with `at`, as of that instant.',
    args: {
      usedDataset: t.arg({ type: DatasetVersionFilterInput, required: true }),
      alias: t.arg.string({ description: 'e.g. "production".' }),
      at: t.arg({ type: 'DateTime', description: 'As of this instant: data, links and aliases as they stood then.' }),
    },
    resolve: async (_root, args, ctx) => {
      const found = await ctx.services.incidents.models(ctx.access, { usedDataset: args.usedDataset, alias: args.alias ?? null, at: args.at ?? null });
      return loadVersions(
        ctx,
        found.map((v) => v.modelVersionId),
      );
    },
  }),
}));

const QuarantineDatasetVersionInput = builder.inputType('QuarantineDatasetVersionInput', {
  fields: (t) => ({
    id: t.id({ description: 'The DatasetVersion found bad (or give `ref`).' }),
    ref: t.string({ description: 'The DatasetVersion by a readable reference instead of `id`, e.g. "clicks@aug".' }),
    reason: t.string({ required: true, description: 'What is wrong with it; shown wherever it blocks a promotion.' }),
  }),
});

const QuarantineDatasetVersionPayload = builder.simpleObject('QuarantineDatasetVersionPayload', {
  fields: (t) => ({
    datasetVersion: t.field({ type: DatasetVersionRef }),
    quarantine: t.field({ type: QuarantineRef }),
    created: t.boolean({ description: 'False when it was already quarantined (the first record stands).' }),
  }),
});

const ReleaseQuarantineInput = builder.inputType('ReleaseQuarantineInput', {
  fields: (t) => ({
    id: t.id({ description: 'The quarantined DatasetVersion (or give `ref`).' }),
    ref: t.string({ description: 'The DatasetVersion by a readable reference instead of `id`, e.g. "clicks@aug".' }),
    reason: t.string({ required: true, description: 'Why the data may be used again; recorded in its quarantine history.' }),
  }),
});

const ReleaseQuarantinePayload = builder.simpleObject('ReleaseQuarantinePayload', {
  fields: (t) => ({
    datasetVersion: t.field({ type: DatasetVersionRef }),
    released: t.boolean({ description: 'False when it was not quarantined (e.g. a retry): nothing was recorded.' }),
    event: t.field({ type: QuarantineEventRef, nullable: true, description: 'The RELEASE event this call recorded.' }),
  }),
});

builder.mutationField('releaseQuarantine', (t) =>
  t.field({
    type: ReleaseQuarantinePayload,
    description:
      "Lifts the quarantine of a dataset version: aliases may move onto models trained on it again without an override. Needs EDITOR in the dataset's project. " +
      'Recorded (who, when, why) in DatasetVersion.quarantineHistory and the audit log; the quarantine record itself stays in that history.',
    args: { input: t.arg({ type: ReleaseQuarantineInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const id = await datasetVersionIdOf(ctx, input);
      const { event } = await ctx.services.quarantines.release(ctx.access, { datasetVersionId: id, reason: input.reason }, String(input.id ?? input.ref));
      return { datasetVersion: (await datasetVersionLoader(ctx).load(id))!, released: event !== null, event };
    },
  }),
);

/** The dataset version an input names by global id or by reference (exactly one). */
async function datasetVersionIdOf(ctx: Context, input: { id?: string | number | null; ref?: string | null }): Promise<number> {
  if ((input.id == null) === (input.ref == null))
    throw new ValidationError('input.id', 'give exactly one of input.id (a global id) or input.ref (e.g. "clicks@aug")');
  if (input.id != null) return decodeId('DatasetVersion', String(input.id), 'input.id');
  const node = await resolveRef(ctx, input.ref!, 'input.ref');
  if (node.type !== 'DatasetVersion')
    throw new ValidationError('input.ref', `${JSON.stringify(input.ref)} names a ${node.type}, not a dataset version; write dataset@version`);
  return node.id;
}

builder.mutationField('quarantineDatasetVersion', (t) =>
  t.field({
    type: QuarantineDatasetVersionPayload,
    description:
      "Marks a dataset version bad. Needs EDITOR in the dataset's project. `impact` then lists what it reached; aliases cannot move onto models trained on it without an override.",
    args: { input: t.arg({ type: QuarantineDatasetVersionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const id = await datasetVersionIdOf(ctx, input);
      const { quarantine, created } = await ctx.services.quarantines.quarantine(
        ctx.access,
        { datasetVersionId: id, reason: input.reason },
        String(input.id ?? input.ref),
      );
      quarantineLoader(ctx).prime(id, quarantine as Quarantine);
      return { datasetVersion: (await datasetVersionLoader(ctx).load(id))!, quarantine, created };
    },
  }),
);

const AliasOverrideRef = builder.simpleObject('AliasOverride', {
  description: 'A promotion made despite quarantined upstream data: why, and what it let through.',
  fields: (t) => ({
    reason: t.string(),
    quarantinedDatasetVersions: t.field({ type: [DatasetVersionRef], description: 'The quarantined dataset versions upstream of the version promoted.' }),
  }),
});

builder.objectField(AliasEventRef, 'override', (t) =>
  t.field({
    type: AliasOverrideRef,
    nullable: true,
    description: 'Set when this change overrode the quarantine gate.',
    resolve: async (e, _a, ctx) => {
      if (!e.overrideReason) return null;
      const versions = await Promise.all(e.overriddenDatasetVersionIds.map((id) => datasetVersionLoader(ctx).load(id)));
      return { reason: e.overrideReason, quarantinedDatasetVersions: versions.filter((v) => v !== null) };
    },
  }),
);
