// GraphQL types of the model registry: models, versions, aliases and their append-only history.
import { decodeNameCursor, forwardConnection, nameCursor, numberCursor, numberPageArgs } from '../../connections.js';
import { builder } from '../../builder.js';
import { decodeId } from '../../ids.js';
import { ProjectRef, projectLoader } from '../projects/schema.js';
import { ArtifactRef } from '../artifacts/schema.js';
import { artifactLoader } from '../artifacts/loaders.js';
import { loadNodes } from '../../loaders.js';
import { selectsAny } from '../../lookahead.js';
import { requireForwardPaging, requirePageSize } from '../../validation.js';
import { runLoader } from '../runs/loaders.js';
import { RunRef } from '../runs/schema.js';
import { modelAliasesLoader, modelByNameWithAliases, modelLoader, modelVersionLoader, runModelVersionsLoader, versionAliasesLoader } from './loaders.js';
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
    from: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'The version the alias held before; null when it was unset (or is not visible to the caller).',
      resolve: (e, _a, ctx) => loadVersion(ctx, e.fromVersionId),
    }),
    to: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'The version it held after; null when it was removed (or is not visible to the caller).',
      resolve: (e, _a, ctx) => loadVersion(ctx, e.toVersionId),
    }),
    who: t.exposeString('actor', {
      nullable: true,
      description:
        'Who made the change: the API token\'s user; with authentication off, the request\'s x-runledger-user, else "local". Never inferred from who trained the model. Null only on events recorded before who was kept.',
    }),
    at: t.expose('effectiveAt', {
      type: 'DateTime',
      description:
        'When the change took effect: recordedAt, unless a global admin imported it with an earlier effectiveAt. aliasAt, aliasesAt and history order go by this time.',
    }),
    recordedAt: t.expose('at', {
      type: 'DateTime',
      description: 'When the server recorded the change (server clock, milliseconds); never earlier than the one recorded before it.',
    }),
    reason: t.exposeString('reason', { nullable: true }),
  }),
});

const AliasAssignment = builder.simpleObject('ModelAliasAssignment', {
  description: 'An alias as it stands now.',
  fields: (t) => ({
    alias: t.string(),
    version: t.field({ type: ModelVersionRef }),
    since: t.field({ type: 'DateTime', description: 'When its latest move took effect.' }),
  }),
});

builder.node(RegisteredModelRef, {
  description: 'A named model whose versions come from runs, with aliases such as production or staging. It belongs to one project, whose roles govern it.',
  id: { resolve: (m) => m.id },
  // Backstop: the loader already drops models of projects the caller has no role in.
  authScopes: (m) => ({ readProject: m.projectId }),
  loadMany: (ids, ctx) => loadNodes(modelLoader(ctx), ids, RegisteredModelRef.name),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Unique name (across every project).' }),
    project: t.field({
      type: ProjectRef,
      description: 'The project that owns it: its roles decide who reads it, registers versions and moves aliases.',
      resolve: async (m, _a, ctx) => (await projectLoader(ctx).load(m.projectId))!,
    }),
    description: t.exposeString('description', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    versions: t.connection({
      type: ModelVersionRef,
      description: 'Versions, newest first (those from runs the caller may see).',
      resolve: async (m, args, ctx) => {
        // Newest first: the cursor is the last version number seen, and the next page is below it.
        const { first, after: below } = numberPageArgs(args);
        const page = await ctx.services.registry.versionsOf(ctx.access, m, first, below);
        return forwardConnection(
          page.versions.map((v) => ({ node: v, cursor: numberCursor(v.version) })),
          page.hasNextPage,
          below,
        );
      },
    }),
    version: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'The version with this number.',
      args: { version: t.arg.int({ required: true }) },
      resolve: async (m, args, ctx) => {
        const page = await ctx.services.registry.versionsOf(ctx.access, m, 1, args.version + 1);
        return page.versions[0]?.version === args.version ? page.versions[0] : null;
      },
    }),
    alias: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'The version an alias points at now, or null.',
      args: { name: t.arg.string({ required: true }) },
      resolve: async (m, args, ctx) => {
        const found = (await modelAliasesLoader(ctx).load(m)).find((a) => a.alias === args.name);
        return found ? modelVersionLoader(ctx).load(found.versionId) : null;
      },
    }),
    aliasAt: t.field({
      type: ModelVersionRef,
      nullable: true,
      description:
        'The version an alias pointed at at an instant (by the time each change took effect, so imported history counts), from the history; null when it was unset then.',
      args: { name: t.arg.string({ required: true }), at: t.arg({ type: 'DateTime', required: true }) },
      resolve: async (m, args, ctx) => {
        const versionId = await ctx.services.registry.aliasAt(ctx.access, m, args.name, args.at);
        return versionId === null ? null : modelVersionLoader(ctx).load(versionId);
      },
    }),
    aliases: t.field({
      type: [AliasAssignment],
      description: 'Every alias set now, by name (those pointing at versions the caller may see).',
      resolve: async (m, _a, ctx) => {
        const held = await Promise.all(
          (await modelAliasesLoader(ctx).load(m)).map(async (a) => ({
            alias: a.alias,
            since: a.updatedAt,
            version: await modelVersionLoader(ctx).load(a.versionId),
          })),
        );
        return held.flatMap((a) => (a.version ? [{ ...a, version: a.version }] : []));
      },
    }),
    history: t.field({
      type: [AliasEventRef],
      description: 'Every alias change in the order they took effect, oldest first (append-only): who, when, from which version to which, and why.',
      args: { alias: t.arg.string({ description: 'Only this alias.' }) },
      resolve: (m, args, ctx) => ctx.services.registry.history(ctx.access, m, args.alias ?? null),
    }),
  }),
});

builder.node(ModelVersionRef, {
  description: 'One numbered version of a registered model: an artifact of the run that produced it, or what an MLflow client registered.',
  id: { resolve: (v) => v.id },
  // Visible when both its model and its run (if any) are (the loader drops the others; this is the backstop).
  authScopes: async (v, ctx) => {
    const [model, run] = await Promise.all([modelLoader(ctx).load(v.modelId), v.runId === null ? true : runLoader(ctx).load(v.runId)]);
    return { readProject: model && run ? model.projectId : 0 };
  },
  loadMany: (ids, ctx) => loadNodes(modelVersionLoader(ctx), ids, ModelVersionRef.name),
  fields: (t) => ({
    model: t.field({ type: RegisteredModelRef, resolve: async (v, _a, ctx) => (await modelLoader(ctx).load(v.modelId))! }),
    version: t.exposeInt('version', { description: 'Numbered from 1 per model, in registration order.' }),
    run: t.field({
      type: RunRef,
      nullable: true,
      description: 'The run that produced it; null when an MLflow client registered it from a source of no run.',
      resolve: async (v, _a, ctx) => (v.runId === null ? null : runLoader(ctx).load(v.runId)),
    }),
    artifact: t.field({
      type: ArtifactRef,
      nullable: true,
      description: 'The MODEL or CHECKPOINT artifact with its bytes; null when an MLflow client registered a source runledger does not store.',
      resolve: async (v, _a, ctx) => (v.artifactId === null ? null : artifactLoader(ctx).load(v.artifactId)),
    }),
    source: t.exposeString('source', {
      nullable: true,
      description: 'The source URI an MLflow client registered it from, as given (null for versions registered by artifact).',
    }),
    aliases: t.stringList({
      description: 'Aliases that point at this version now.',
      resolve: async (v, _a, ctx) => (await versionAliasesLoader(ctx).load(v)).map((a) => a.alias),
    }),
    description: t.exposeString('description', { nullable: true }),
    createdBy: t.exposeString('createdBy', { nullable: true, description: 'Who registered it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.objectFields(RunRef, (t) => ({
  modelVersions: t.field({
    type: [ModelVersionRef],
    description: 'Model versions registered from this run’s artifacts (of models the caller may see).',
    resolve: (r, _a, ctx) => runModelVersionsLoader(ctx).load(r),
  }),
}));

// A Project is only ever resolved for a caller with a role in it, so its models are all visible.
builder.objectFields(ProjectRef, (t) => ({
  registeredModels: t.connection({
    type: RegisteredModelRef,
    description: 'Registered models of this project, by name.',
    resolve: async (p, args, ctx) => {
      requireForwardPaging(args);
      const first = requirePageSize('first', args.first, 100);
      const afterName = decodeNameCursor(args.after);
      const { models, hasNextPage } = await ctx.services.registry.modelsOfProject(ctx.access, p.id, first, afterName);
      const edges = models.map((m) => ({ node: m, cursor: nameCursor(m.name) }));
      return forwardConnection(edges, hasNextPage, afterName);
    },
  }),
}));

builder.queryFields((t) => ({
  registeredModel: t.field({
    type: RegisteredModelRef,
    nullable: true,
    description: 'The registered model with this name, or null (also when it belongs to a project the caller has no role in).',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx, info) =>
      selectsAny(info, ['alias', 'aliases']) ? modelByNameWithAliases(ctx, args.name) : ctx.services.registry.get(ctx.access, args.name),
  }),
}));

const CreateModelVersionInput = builder.inputType('CreateModelVersionInput', {
  fields: (t) => ({
    model: t.string({ required: true, description: 'Model name, unique across projects; the model is created on first use.' }),
    project: t.string({
      description:
        "Name of the project that owns the model. Used when this call creates the model (default: the project of the artifact's run); when the model exists it may be left out, and if given must be its project (else CONFLICT).",
    }),
    artifactId: t.id({
      required: true,
      description: 'A MODEL or CHECKPOINT artifact; its run becomes the source run. Registering the same artifact again returns the existing version.',
    }),
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

export const AliasOverrideInput = builder.inputType('AliasOverrideInput', {
  description: 'An explicit decision to promote despite failed promotion rules (quarantined upstream data, or a rule the project declared).',
  fields: (t) => ({ reason: t.string({ required: true, description: 'Why the promotion must happen anyway.' }) }),
});

const effectiveAtField = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) =>
  t.field({
    type: 'DateTime',
    description:
      "When the change took effect, for history imported from another tracker. Global admins only; not in the future, and not before the alias's latest change (import oldest first). Default: now.",
  });

const SetModelAliasInput = builder.inputType('SetModelAliasInput', {
  fields: (t) => ({
    model: t.string({ required: true }),
    alias: t.string({ required: true, description: 'e.g. production, staging, champion: a letter, then letters, digits, _ or -.' }),
    version: t.int({ required: true, description: 'The version number to point at.' }),
    reason: t.string({ description: 'Why; optional here, recorded in the history.' }),
    override: t.field({
      type: AliasOverrideInput,
      description: 'Needed to move the alias onto a version trained on quarantined data; recorded in the history.',
    }),
    effectiveAt: effectiveAtField(t),
  }),
});

const RemoveModelAliasInput = builder.inputType('RemoveModelAliasInput', {
  fields: (t) => ({
    model: t.string({ required: true }),
    alias: t.string({ required: true }),
    reason: t.string({ description: 'Why; optional, recorded in the history.' }),
    effectiveAt: effectiveAtField(t),
  }),
});

const RollbackModelAliasInput = builder.inputType('RollbackModelAliasInput', {
  fields: (t) => ({
    model: t.string({ required: true }),
    alias: t.string({ required: true }),
    reason: t.string({ required: true, description: 'Why; required for a rollback.' }),
    fromVersion: t.int({
      description:
        'The version being rolled back: the one the alias points at now. Required while it points at one (leave it out only to undo a removal). Nothing happens when the alias no longer points at it, so a retried rollback returns changed: false instead of undoing itself.',
    }),
    override: t.field({
      type: AliasOverrideInput,
      description: 'Needed when the version rolled back to was trained on quarantined data; recorded in the history.',
    }),
    effectiveAt: effectiveAtField(t),
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
    description:
      "Registers an artifact as the next version of a model. Needs EDITOR in the model's project and sight of the artifact's run. Retry-safe: the artifact identifies the version.",
    args: { input: t.arg({ type: CreateModelVersionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.registry.createVersion(ctx.access, { ...input, artifactId: decodeId('Artifact', String(input.artifactId), 'input.artifactId') }),
  }),
  setModelAlias: t.field({
    type: ModelAliasPayload,
    description:
      "Points an alias at a version and records the change (who, when, from, to, reason). Needs EDITOR in the model's project. Setting it to where it already points records nothing.",
    args: { input: t.arg({ type: SetModelAliasInput, required: true }) },
    resolve: async (_root, { input }, ctx) => aliasPayload(input.alias, await ctx.services.registry.setAlias(ctx.access, input)),
  }),
  removeModelAlias: t.field({
    type: ModelAliasPayload,
    description: "Removes an alias and records the change. Needs EDITOR in the model's project. Removing an unset alias records nothing.",
    args: { input: t.arg({ type: RemoveModelAliasInput, required: true }) },
    resolve: async (_root, { input }, ctx) => aliasPayload(input.alias, await ctx.services.registry.removeAlias(ctx.access, input)),
  }),
  rollbackModelAlias: t.field({
    type: ModelAliasPayload,
    description:
      'Undoes the latest change of an alias in one step: it returns to the version it held before (a removal is undone by restoring the removed version). ' +
      'Give fromVersion (the version it points at now), so a double-submitted rollback changes nothing the second time. The version returned to passes the same quarantine gate as setModelAlias. ' +
      "Needs EDITOR in the model's project. Recorded as a new ROLLBACK event; history is never rewritten.",
    args: { input: t.arg({ type: RollbackModelAliasInput, required: true }) },
    resolve: async (_root, { input }, ctx) => aliasPayload(input.alias, await ctx.services.registry.rollbackAlias(ctx.access, input)),
  }),
}));
