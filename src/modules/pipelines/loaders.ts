// Per-request loaders of pipeline runs: runs of projects the caller has no role in load as null.
import DataLoader from 'dataloader';
import type { Context } from '../../context.js';
import { byId, manyByOwner } from '../../loaders.js';
import type { PipelineRunRow } from './service.js';

export const pipelineRunLoader = (ctx: Context) =>
  ctx.loaders.get('pipelineRun', (s) =>
    byId(
      async (ids) => ctx.access.filterVisible(await s.pipelines.byIds(ids), (r) => r.projectId),
      (r) => r.id,
    ),
  );

/** By OpenLineage run id (`pipelineRun(runId)`, `PipelineRun.parent`); primes the loader by id. */
export const pipelineRunByUuidLoader = (ctx: Context) =>
  ctx.loaders.get('pipelineRunByUuid', (s) => {
    return new DataLoader<string, PipelineRunRow | null>(async (uuids) => {
      const visible = await ctx.access.filterVisible(await s.pipelines.byRunUuids(uuids), (r) => r.projectId);
      for (const run of visible) pipelineRunLoader(ctx).prime(run.id, run);
      const byUuid = new Map(visible.map((r) => [r.runUuid, r]));
      return uuids.map((u) => byUuid.get(u) ?? null);
    });
  });

export const pipelineRunDatasetsLoader = (ctx: Context) =>
  ctx.loaders.get('pipelineRunDatasets', (s) =>
    manyByOwner(
      (ids) => s.pipelines.datasetsOf(ids),
      (d) => d.pipelineRunId,
    ),
  );
