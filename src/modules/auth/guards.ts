// Resolver-side checks: map a target to its project, then ask Access. Adding a domain means
// adding one "projectIdOf" lookup here and calling it with the role the operation needs.
import type { Context } from '../../context.js';
import type { Role } from './access.js';
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
