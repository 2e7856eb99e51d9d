// Per-request loader of metric summaries, read through the metric service as the caller.
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
