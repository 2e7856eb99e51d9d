// Per-request loaders of the runs domain; each reads through the run service as the caller.
import DataLoader from 'dataloader';
import type { Context } from '../../context.js';
import { byId, manyByParent } from '../../loaders.js';
import type { Run } from './service.js';

// Runs of projects the caller has no role in load as null, like missing ones: run(id), node(id),
// parent and compareRuns all read through here.
export const runLoader = (ctx: Context) =>
  ctx.loaders.get('run', (s) =>
    byId(
      (ids) => s.runs.visibleByIds(ctx.access, ids),
      (r) => r.id,
    ),
  );
export const paramsLoader = (ctx: Context) =>
  ctx.loaders.get('params', (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.runs.paramsOf(ctx.access, runs),
      (p) => p.runId,
    ),
  );
export const tagsLoader = (ctx: Context) =>
  ctx.loaders.get('tags', (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.runs.tagsOf(ctx.access, runs),
      (t) => t.runId,
    ),
  );
export const codeVersionLoader = (ctx: Context) =>
  ctx.loaders.get('codeVersion', (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.runs.codeVersionsOf(ctx.access, runs),
      (c) => c.runId,
    ),
  );

/** Children pages share their arguments within one field selection, so they batch per (first, after). */
export const childrenLoader = (ctx: Context, first: number, afterId: number | null) =>
  ctx.loaders.get(`children:${first}:${afterId}`, (s) => {
    return new DataLoader<Run, Run[], number>(
      async (parents) => {
        const rows = await s.runs.childrenOf(ctx.access, parents, first + 1, afterId);
        return parents.map((p) => rows.filter((r) => r.parentId === p.id));
      },
      { cacheKeyFn: (parent) => parent.id },
    );
  });
