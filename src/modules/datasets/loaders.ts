import type { Context } from '../../context.js';
import { byId, manyByOwner, primeVisibleParents } from '../../loaders.js';

// Datasets of projects the caller has no role in load as null, like missing ones, and so do
// their versions: dataset(name), node(id), Run.inputs and lineage all read through here.
export const datasetLoader = (ctx: Context) =>
  ctx.loaders.get('dataset', (s) =>
    byId(
      async (ids) => ctx.access.filterVisible(await s.datasets.byIds(ids), (d) => d.projectId),
      (d) => d.id,
    ),
  );
export const datasetVersionLoader = (ctx: Context) =>
  ctx.loaders.get('datasetVersion', (s) =>
    byId(
      async (ids) => {
        const rows = await s.datasets.versionsByIds(ids);
        const visible = await primeVisibleParents(
          ctx.access,
          rows.map((r) => r.dataset),
          datasetLoader(ctx),
        );
        return rows.filter((r) => visible.has(r.dataset.id)).map((r) => r.version);
      },
      (v) => v.id,
    ),
  );
export const parentsLoader = (ctx: Context) =>
  ctx.loaders.get('datasetParents', (s) =>
    manyByOwner(
      (ids) => s.datasets.parentsOf(ids),
      (p) => p.childId,
    ),
  );
export const datasetInputsLoader = (ctx: Context) =>
  ctx.loaders.get('runDatasetInputs', (s) =>
    manyByOwner(
      (ids) => s.datasets.datasetInputsOf(ids),
      (i) => i.runId,
    ),
  );
export const modelInputsLoader = (ctx: Context) =>
  ctx.loaders.get('runModelInputs', (s) =>
    manyByOwner(
      (ids) => s.datasets.modelInputsOf(ids),
      (i) => i.runId,
    ),
  );
