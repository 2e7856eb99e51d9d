// GraphQL types of the runs domain. Root fields are in queries.ts and mutations.ts.
import { forwardConnection, numberCursor, numberPageArgs } from '../../connections.js';
import { builder } from '../../builder.js';
import { loadNodes } from '../../loaders.js';
import { ProjectRef, projectLoader } from '../projects/schema.js';
import { childrenLoader, codeVersionLoader, paramsLoader, runLoader, tagsLoader } from './loaders.js';
import { mlflowRunId } from './mlflow-id.js';
import type { Run } from './service.js';

export const RunRef = builder.objectRef<Run>('Run');

export const RunStatusEnum = builder.enumType('RunStatus', {
  description: 'RUNNING until finishRun; then how it ended.',
  values: ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'] as const,
});

export const RunViewEnum = builder.enumType('RunView', {
  description: 'Which runs a search sees: deleted runs are hidden unless asked for.',
  values: ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const,
});

export const KeyValue = builder.simpleObject('KeyValue', {
  description: 'A param or tag.',
  fields: (t) => ({ key: t.string(), value: t.string() }),
});

export const CodeVersionRef = builder.simpleObject('CodeVersion', {
  description: 'The code a run executed: repository, commit and the state of the working tree.',
  fields: (t) => ({
    repository: t.string({ description: 'Repository URL or name.' }),
    commit: t.string({ description: 'Commit sha, lowercase hex.' }),
    committedAt: t.field({ type: 'DateTime', nullable: true, description: 'When the commit was made, when a run reported it.' }),
    branch: t.string({ nullable: true }),
    dirty: t.boolean({ description: 'True when the working tree had uncommitted changes.' }),
  }),
});

export const RunConnection = builder.connectionObject({
  type: RunRef,
  name: 'RunConnection',
  fields: (t) => ({
    totalCount: t.int({
      description: 'Runs matching the filter across all pages (counted only when asked for).',
      resolve: (parent) => (parent as unknown as { totalCount: () => Promise<number> }).totalCount(),
    }),
  }),
});

function durationSeconds(run: Run): number {
  const end = run.endedAt ?? new Date();
  return Math.max(0, (end.getTime() - run.startedAt.getTime()) / 1000);
}

builder.node(RunRef, {
  description: 'One execution of training or evaluation code, with everything it logged.',
  id: { resolve: (r) => r.id },
  authScopes: (r) => ({ readProject: r.projectId }),
  loadMany: (ids, ctx) => loadNodes(runLoader(ctx), ids, RunRef.name),
  fields: (t) => ({
    project: t.field({ type: ProjectRef, resolve: async (r, _a, ctx) => (await projectLoader(ctx).load(r.projectId))! }),
    name: t.exposeString('name', { description: 'Display name (defaults to run-<number>).' }),
    clientRunId: t.exposeString('clientRunId', { nullable: true, description: 'The retry key given to startRun.' }),
    mlflowRunId: t.string({
      description: "The run's id on the MLflow REST API (/api/2.0/mlflow): its number in hex, padded to 32 characters.",
      resolve: (r) => mlflowRunId(r.id),
    }),
    status: t.field({ type: RunStatusEnum, resolve: (r) => r.status }),
    user: t.exposeString('user', { nullable: true, description: 'Who started the run.' }),
    recordedBy: t.exposeString('recordedBy', {
      nullable: true,
      description: 'Set when a global admin recorded this run on behalf of `user` (an import): the admin who did it.',
    }),
    notes: t.exposeString('notes', { nullable: true }),
    group: t.exposeString('group', { nullable: true, description: 'Sweep or ablation group.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
    durationSeconds: t.float({ description: 'Wall time: until endedAt, or until now while running.', resolve: durationSeconds }),
    deletedAt: t.expose('deletedAt', { type: 'DateTime', nullable: true, description: 'Set while the run is soft-deleted.' }),
    environment: t.expose('environment', { type: 'JSON', nullable: true, description: 'Runtime versions, packages, hardware, hostname.' }),
    gpuCount: t.exposeInt('gpuCount', { description: 'GPUs, read from environment.hardware.gpus (a count or a device list).' }),
    seed: t.exposeString('seed', { nullable: true }),
    parent: t.field({
      type: RunRef,
      nullable: true,
      description: 'The run this one is a child of (sweeps, nested runs).',
      resolve: (r, _a, ctx) => (r.parentId ? runLoader(ctx).load(r.parentId) : null),
    }),
    children: t.connection({
      type: RunRef,
      description: 'Child runs, oldest first.',
      resolve: async (r, args, ctx) => {
        const { first, after: afterId } = numberPageArgs(args);
        const rows = await childrenLoader(ctx, first, afterId).load(r);
        const edges = rows.slice(0, first).map((run) => ({ node: run, cursor: numberCursor(run.id) }));
        return forwardConnection(edges, rows.length > first, afterId);
      },
    }),
    params: t.field({
      type: [KeyValue],
      description: 'Every param, by key. Params never change once logged.',
      resolve: (r, _a, ctx) => paramsLoader(ctx).load(r),
    }),
    param: t.string({
      nullable: true,
      args: { key: t.arg.string({ required: true }) },
      resolve: async (r, { key }, ctx) => (await paramsLoader(ctx).load(r)).find((p) => p.key === key)?.value ?? null,
    }),
    tags: t.field({ type: [KeyValue], description: 'Every tag, by key.', resolve: (r, _a, ctx) => tagsLoader(ctx).load(r) }),
    tag: t.string({
      nullable: true,
      args: { key: t.arg.string({ required: true }) },
      resolve: async (r, { key }, ctx) => (await tagsLoader(ctx).load(r)).find((p) => p.key === key)?.value ?? null,
    }),
    codeVersion: t.field({ type: CodeVersionRef, nullable: true, resolve: async (r, _a, ctx) => (await codeVersionLoader(ctx).load(r))[0] ?? null }),
  }),
});
