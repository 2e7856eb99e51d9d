// Per-request loaders of pipeline runs, reading through the pipeline service as the caller:
// runs of projects the caller has no role in load as null.
import DataLoader from 'dataloader';
import type { Context } from '../../context.js';
import { byId, manyByParent } from '../../loaders.js';
import type { PipelineRunRow } from './service.js';

export const pipelineRunLoader = (ctx: Context) =>
  ctx.loaders.get('pipelineRun', (s) =>
    byId(
      (ids) => s.pipelines.visibleByIds(ctx.access, ids),
      (r) => r.id,
    ),
  );

/** By OpenLineage run id (`pipelineRun(runId)`, `PipelineRun.parent`); primes the loader by id. */
export const pipelineRunByUuidLoader = (ctx: Context) =>
  ctx.loaders.get('pipelineRunByUuid', (s) => {
    return new DataLoader<string, PipelineRunRow | null>(async (uuids) => {
      const visible = await s.pipelines.visibleByRunUuids(ctx.access, uuids);
      for (const run of visible) pipelineRunLoader(ctx).prime(run.id, run);
      const byUuid = new Map(visible.map((r) => [r.runUuid, r]));
      return uuids.map((u) => byUuid.get(u) ?? null);
    });
  });

export const pipelineRunDatasetsLoader = (ctx: Context) =>
  ctx.loaders.get('pipelineRunDatasets', (s) =>
    manyByParent(
      (runs: readonly PipelineRunRow[]) => s.pipelines.datasetsOf(ctx.access, runs),
      (d) => d.pipelineRunId,
    ),
  );
