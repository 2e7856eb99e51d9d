import type { Context } from '../../context.js';
import { manyByOwner } from '../../loaders.js';

export const summaryLoader = (ctx: Context) =>
  ctx.loaders.get('metricSummaries', (s) =>
    manyByOwner(
      (ids) => s.metrics.summaries(ids),
      (m) => m.runId,
    ),
  );
