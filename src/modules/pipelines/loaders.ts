// Per-request loaders of pipeline runs: runs of projects the caller has no role in load as null.
import type { Context } from '../../context.js';
import { byId, manyByOwner } from '../../loaders.js';

export const pipelineRunLoader = (ctx: Context) =>
  ctx.loaders.get('pipelineRun', (s) => byId(async (ids) => ctx.access.filterVisible(await s.pipelines.byIds(ids), (r) => r.projectId), (r) => r.id));

export const pipelineRunDatasetsLoader = (ctx: Context) =>
  ctx.loaders.get('pipelineRunDatasets', (s) => manyByOwner((ids) => s.pipelines.datasetsOf(ids), (d) => d.pipelineRunId));
