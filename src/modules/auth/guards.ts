// Resolver-side checks: map a target to its project, then ask Access. Adding a domain means
// adding one "projectIdOf" lookup here and calling it with the role the operation needs.
import type { Context } from '../../context.js';
import type { Role } from './access.js';
import { ConflictError } from '../../errors.js';
import { decodeId } from '../../ids.js';

/** Requires `role` in the named project. Global admins skip the lookup (the service reports a missing project). */
export async function authorizeProjectName(ctx: Context, name: string, role: Role): Promise<void> {
  if (ctx.access.isAdmin) return;
  const project = await ctx.services.projects.byName(name);
  await ctx.access.authorize(project?.id ?? null, role, 'Project', name);
}

export async function authorizeProjectId(ctx: Context, projectId: number, role: Role): Promise<void> {
  if (ctx.access.isAdmin) return;
  await ctx.access.authorize(projectId, role, 'Project', projectId);
}

/** Requires `role` in the project of the run. */
export async function authorizeRun(ctx: Context, runId: number, role: Role): Promise<void> {
  if (ctx.access.isAdmin) return;
  const [run] = await ctx.services.runs.byIds([runId]);
  await ctx.access.authorize(run?.projectId ?? null, role, 'Run', runId);
}

/** Decodes a run's global id from an input field and requires editor rights on its project. */
export async function editableRunId(ctx: Context, globalId: string | number, field: string): Promise<number> {
  const runId = decodeId('Run', String(globalId), field);
  await authorizeRun(ctx, runId, 'EDITOR');
  return runId;
}

/** Requires `role` in the project of a dataset version; `id` is what the caller sent, for the error. */
export async function authorizeDatasetVersion(ctx: Context, versionId: number, role: Role, id: string): Promise<void> {
  if (ctx.access.isAdmin) return;
  await ctx.access.authorize(await ctx.services.datasets.projectOfVersion(versionId), role, 'DatasetVersion', id);
}

/** Requires `role` in the project of the named model. Global admins skip the lookup (the service reports a missing model). */
export async function authorizeModelName(ctx: Context, name: string, role: Role): Promise<void> {
  if (ctx.access.isAdmin) return;
  const model = await ctx.services.registry.byName(name);
  await ctx.access.authorize(model?.projectId ?? null, role, 'RegisteredModel', name);
}

/**
 * A write that creates a dataset or model by name when it is new: an existing one the caller
 * cannot see is a name already taken (CONFLICT, like createProject), not NOT_FOUND, since
 * the caller meant to create it; names are global.
 */
export async function requireNameFree(
  ctx: Context,
  owner: { projectId: number } | null,
  kind: 'dataset' | 'model',
  name: string,
  field: string,
): Promise<void> {
  if (owner && !(await ctx.access.canRead(owner.projectId))) {
    throw new ConflictError(
      `${field}: a ${kind} named ${JSON.stringify(name)} already exists in a project you have no role in; ${kind} names are global, pick another`,
      { field },
    );
  }
}
