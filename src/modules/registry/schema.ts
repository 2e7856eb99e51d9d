// GraphQL types of the model registry: models, versions, aliases and their append-only history.
import { forwardConnection, numberCursor, numberPageArgs } from '../../connections.js';
import { builder } from '../../builder.js';
import { decodeId } from '../../ids.js';
import { ArtifactRef } from '../artifacts/schema.js';
import { artifactLoader } from '../artifacts/loaders.js';
import { runLoader } from '../runs/loaders.js';
import { RunRef } from '../runs/schema.js';
import { modelAliasesLoader, modelLoader, modelVersionLoader, runModelVersionsLoader, versionAliasesLoader } from './loaders.js';
import type { AliasChangeResult, ModelAliasEvent, ModelVersion, RegisteredModel } from './service.js';

export const RegisteredModelRef = builder.objectRef<RegisteredModel>('RegisteredModel');
export const ModelVersionRef = builder.objectRef<ModelVersion>('ModelVersion');
export const AliasEventRef = builder.objectRef<ModelAliasEvent>('AliasEvent');

const AliasActionEnum = builder.enumType('AliasAction', {
  description: 'How an alias changed.',
  values: {
    SET: { description: 'setModelAlias pointed it at a version.' },
    REMOVE: { description: 'removeModelAlias removed it.' },
    ROLLBACK: { description: 'rollbackModelAlias undid the change before.' },
  },
});

const loadVersion = (ctx: Parameters<typeof modelVersionLoader>[0], id: number | null) => (id === null ? null : modelVersionLoader(ctx).load(id));

builder.objectType(AliasEventRef, {
  description: 'One alias change. Events are append-only: no API call (and no SQL, a trigger refuses it) edits or deletes them.',
  fields: (t) => ({
    alias: t.exposeString('alias'),
    action: t.field({ type: AliasActionEnum, resolve: (e) => e.action }),
    from: t.field({ type: ModelVersionRef, nullable: true, description: 'The version the alias held before; null when it was unset.', resolve: (e, _a, ctx) => loadVersion(ctx, e.fromVersionId) }),
    to: t.field({ type: ModelVersionRef, nullable: true, description: 'The version it held after; null when it was removed.', resolve: (e, _a, ctx) => loadVersion(ctx, e.toVersionId) }),
    who: t.exposeString('actor', { nullable: true, description: 'The x-runledger-user of the request, else the user of the run behind the version.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When it changed (server clock, milliseconds).' }),
    reason: t.exposeString('reason', { nullable: true }),
  }),
});

const AliasAssignment = builder.simpleObject('ModelAliasAssignment', {
  description: 'An alias as it stands now.',
  fields: (t) => ({
    alias: t.string(),
    version: t.field({ type: ModelVersionRef }),
    since: t.field({ type: 'DateTime', description: 'When it was last moved.' }),
  }),
});


builder.node(RegisteredModelRef, {
  description: 'A named model whose versions come from runs, with aliases such as production or staging.',
  id: { resolve: (m) => m.id },
  loadMany: (ids, ctx) => Promise.all(ids.map((id) => modelLoader(ctx).load(Number(id)))),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Unique name.' }),
    description: t.exposeString('description', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    versions: t.connection({
      type: ModelVersionRef,
      description: 'Versions, newest first.',
      resolve: async (m, args, ctx) => {
        // Newest first: the cursor is the last version number seen, and the next page is below it.
        const { first, after: below } = numberPageArgs(args);
        const page = await ctx.services.registry.versionsOf(m.id, first, below);
        return forwardConnection(page.versions.map((v) => ({ node: v, cursor: numberCursor(v.version) })), page.hasNextPage, below);
      },
    }),
    version: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'The version with this number.',
      args: { version: t.arg.int({ required: true }) },
      resolve: async (m, args, ctx) => {
        const page = await ctx.services.registry.versionsOf(m.id, 1, args.version + 1);
        return page.versions[0]?.version === args.version ? page.versions[0] : null;
      },
    }),
    alias: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'The version an alias points at now, or null.',
      args: { name: t.arg.string({ required: true }) },
      resolve: async (m, args, ctx) => {
        const found = (await modelAliasesLoader(ctx).load(m.id)).find((a) => a.alias === args.name);
        return found ? modelVersionLoader(ctx).load(found.versionId) : null;
      },
    }),
    aliasAt: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'The version an alias pointed at at an instant, from the history; null when it was unset then.',
      args: { name: t.arg.string({ required: true }), at: t.arg({ type: 'DateTime', required: true }) },
      resolve: (m, args, ctx) => ctx.services.registry.aliasAt(m.id, args.name, args.at),
    }),
    aliases: t.field({
      type: [AliasAssignment],
      description: 'Every alias set now, by name.',
      resolve: async (m, _a, ctx) =>
        Promise.all(
          (await modelAliasesLoader(ctx).load(m.id)).map(async (a) => ({ alias: a.alias, since: a.updatedAt, version: (await modelVersionLoader(ctx).load(a.versionId))! })),
        ),
    }),
    history: t.field({
      type: [AliasEventRef],
      description: 'Every alias change, oldest first (append-only): who, when, from which version to which, and why.',
      args: { alias: t.arg.string({ description: 'Only this alias.' }) },
      resolve: (m, args, ctx) => ctx.services.registry.history(m.id, args.alias ?? null),
    }),
  }),
});

builder.node(ModelVersionRef, {
  description: 'One numbered version of a registered model: an artifact of the run that produced it.',
  id: { resolve: (v) => v.id },
  // Visible only through a run the caller can see (invisible runs load as null: NOT_FOUND).
  authScopes: async (v, ctx) => ({ readProject: (await runLoader(ctx).load(v.runId))?.projectId ?? 0 }),
  loadMany: (ids, ctx) => Promise.all(ids.map((id) => modelVersionLoader(ctx).load(Number(id)))),
  fields: (t) => ({
    model: t.field({ type: RegisteredModelRef, resolve: async (v, _a, ctx) => (await modelLoader(ctx).load(v.modelId))! }),
    version: t.exposeInt('version', { description: 'Numbered from 1 per model, in registration order.' }),
    run: t.field({ type: RunRef, description: 'The run that produced it.', resolve: async (v, _a, ctx) => (await runLoader(ctx).load(v.runId))! }),
    artifact: t.field({ type: ArtifactRef, description: 'The MODEL or CHECKPOINT artifact with its bytes.', resolve: async (v, _a, ctx) => (await artifactLoader(ctx).load(v.artifactId))! }),
    aliases: t.stringList({ description: 'Aliases that point at this version now.', resolve: async (v, _a, ctx) => (await versionAliasesLoader(ctx).load(v.id)).map((a) => a.alias) }),
    description: t.exposeString('description', { nullable: true }),
    createdBy: t.exposeString('createdBy', { nullable: true, description: 'Who registered it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.objectFields(RunRef, (t) => ({
  modelVersions: t.field({
    type: [ModelVersionRef],
    description: 'Model versions registered from this run’s artifacts.',
    resolve: (r, _a, ctx) => runModelVersionsLoader(ctx).load(r.id),
  }),
}));

builder.queryFields((t) => ({
  registeredModel: t.field({
    type: RegisteredModelRef,
    nullable: true,
    description: 'The registered model with this name, or null.',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.registry.byName(args.name),
  }),
}));

const CreateModelVersionInput = builder.inputType('CreateModelVersionInput', {
  fields: (t) => ({
    model: t.string({ required: true, description: 'Model name; the model is created on first use.' }),
    artifactId: t.id({ required: true, description: 'A MODEL or CHECKPOINT artifact; its run becomes the source run. Registering the same artifact again returns the existing version.' }),
    description: t.string(),
    modelDescription: t.string({ description: 'Description of the model, used only when this call creates it.' }),
  }),
});

const CreateModelVersionPayload = builder.simpleObject('CreateModelVersionPayload', {
  fields: (t) => ({
    modelVersion: t.field({ type: ModelVersionRef }),
    created: t.boolean({ description: 'False when this artifact was already a version of the model (a retry).' }),
  }),
});

const AliasOverrideInput = builder.inputType('AliasOverrideInput', {
  description: 'An explicit decision to promote despite quarantined upstream data.',
  fields: (t) => ({ reason: t.string({ required: true, description: 'Why the promotion must happen anyway.' }) }),
});

const SetModelAliasInput = builder.inputType('SetModelAliasInput', {
  fields: (t) => ({
    model: t.string({ required: true }),
    alias: t.string({ required: true, description: 'e.g. production, staging, champion: a letter, then letters, digits, _ or -.' }),
    version: t.int({ required: true, description: 'The version number to point at.' }),
    reason: t.string({ description: 'Why; optional here, recorded in the history.' }),
    override: t.field({ type: AliasOverrideInput, description: 'Needed to move the alias onto a version trained on quarantined data; recorded in the history.' }),
  }),
});

const RemoveModelAliasInput = builder.inputType('RemoveModelAliasInput', {
  fields: (t) => ({
    model: t.string({ required: true }),
    alias: t.string({ required: true }),
    reason: t.string({ description: 'Why; optional, recorded in the history.' }),
  }),
});

const RollbackModelAliasInput = builder.inputType('RollbackModelAliasInput', {
  fields: (t) => ({
    model: t.string({ required: true }),
    alias: t.string({ required: true }),
    reason: t.string({ required: true, description: 'Why; required for a rollback.' }),
    fromVersion: t.int({ description: 'The version being rolled back. When given, nothing happens unless the alias still points at it, which makes a retry safe.' }),
  }),
});

const ModelAliasPayload = builder.simpleObject('ModelAliasPayload', {
  description: 'The alias after the call.',
  fields: (t) => ({
    model: t.field({ type: RegisteredModelRef }),
    alias: t.string(),
    version: t.field({ type: ModelVersionRef, nullable: true, description: 'Where the alias points now; null when unset.' }),
    changed: t.boolean({ description: 'False when the call changed nothing (already so, or a retry): no event was recorded.' }),
    event: t.field({ type: AliasEventRef, nullable: true, description: 'The history event this call recorded.' }),
  }),
});

const aliasPayload = (alias: string, r: AliasChangeResult) => ({ model: r.model, alias, version: r.version, changed: r.event !== null, event: r.event });

builder.mutationFields((t) => ({
  createModelVersion: t.field({
    type: CreateModelVersionPayload,
    description: 'Registers an artifact as the next version of a model. Retry-safe: the artifact identifies the version.',
    args: { input: t.arg({ type: CreateModelVersionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const artifactId = decodeId('Artifact', String(input.artifactId), 'input.artifactId');
      // Registering needs EDITOR in the project of the run that produced the artifact.
      if (!ctx.access.isAdmin) {
        const [artifact] = await ctx.services.artifacts.byIds([artifactId]);
        const [run] = artifact ? await ctx.services.runs.byIds([artifact.runId]) : [];
        await ctx.access.authorize(run?.projectId ?? null, 'EDITOR', 'Artifact', String(input.artifactId));
      }
      return ctx.services.registry.createVersion({ ...input, artifactId }, ctx.actor);
    },
  }),
  setModelAlias: t.field({
    type: ModelAliasPayload,
    description: 'Points an alias at a version and records the change (who, when, from, to, reason). Setting it to where it already points records nothing.',
    args: { input: t.arg({ type: SetModelAliasInput, required: true }) },
    resolve: async (_root, { input }, ctx) => aliasPayload(input.alias, await ctx.services.registry.setAlias(input, ctx.actor)),
  }),
  removeModelAlias: t.field({
    type: ModelAliasPayload,
    description: 'Removes an alias and records the change. Removing an unset alias records nothing.',
    args: { input: t.arg({ type: RemoveModelAliasInput, required: true }) },
    resolve: async (_root, { input }, ctx) => aliasPayload(input.alias, await ctx.services.registry.removeAlias(input, ctx.actor)),
  }),
  rollbackModelAlias: t.field({
    type: ModelAliasPayload,
    description:
      'Undoes the latest change of an alias in one step: it returns to the version it held before (a removal is undone by restoring the removed version). Recorded as a new ROLLBACK event; history is never rewritten.',
    args: { input: t.arg({ type: RollbackModelAliasInput, required: true }) },
    resolve: async (_root, { input }, ctx) => aliasPayload(input.alias, await ctx.services.registry.rollbackAlias(input, ctx.actor)),
  }),
}));
