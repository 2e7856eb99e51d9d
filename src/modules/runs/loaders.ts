import DataLoader from 'dataloader';
import type { Context } from '../../context.js';
import { byId, manyByOwner } from '../../loaders.js';
import type { Run } from './service.js';

// Runs of projects the caller has no role in load as null, like missing ones: run(id), node(id),
// parent and compareRuns all read through here.
export const runLoader = (ctx: Context) =>
  ctx.loaders.get('run', (s) =>
    byId(
      async (ids) => ctx.access.filterVisible(await s.runs.byIds(ids), (r) => r.projectId),
      (r) => r.id,
    ),
  );
export const paramsLoader = (ctx: Context) =>
  ctx.loaders.get('params', (s) =>
    manyByOwner(
      (ids) => s.runs.paramsOf(ids),
      (p) => p.runId,
    ),
  );
export const tagsLoader = (ctx: Context) =>
  ctx.loaders.get('tags', (s) =>
    manyByOwner(
      (ids) => s.runs.tagsOf(ids),
      (t) => t.runId,
    ),
  );
export const codeVersionLoader = (ctx: Context) =>
  ctx.loaders.get('codeVersion', (s) =>
    byId(
      (ids) => s.runs.codeVersionsOf(ids),
      (c) => c.runId,
    ),
  );

/** Children pages share their arguments within one field selection, so they batch per (first, after). */
export const childrenLoader = (ctx: Context, first: number, afterId: number | null) =>
  ctx.loaders.get(`children:${first}:${afterId}`, (s) => {
    return new DataLoader<number, Run[]>(async (parentIds) => {
      const rows = await s.runs.childrenOf(parentIds, first + 1, afterId);
      return parentIds.map((id) => rows.filter((r) => r.parentId === id));
    });
  });
