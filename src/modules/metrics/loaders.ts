// Per-request loaders of metric summaries and histories, read through the metric service as the caller.
import type { Context } from '../../context.js';
import { manyByParent } from '../../loaders.js';
import type { Run } from '../runs/service.js';

export const summaryLoader = (ctx: Context) =>
  ctx.loaders.get('metricSummaries', (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.metrics.summaries(ctx.access, runs),
      (m) => m.runId,
    ),
  );

/** Run.metricHistories for every run of a request asking the same keys and size: one read. */
export const runHistoriesLoader = (ctx: Context, keys: readonly string[] | null, maxPoints: number | null) =>
  ctx.loaders.get(`runHistories:${JSON.stringify([keys, maxPoints])}`, (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.metrics.runHistories(ctx.access, runs, { keys, maxPoints }),
      (h) => h.runId,
    ),
  );
