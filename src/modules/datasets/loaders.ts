// Per-request loaders of the datasets domain, each reading through the dataset service as the caller.
import type { Context } from '../../context.js';
import { byId, manyByOwner, manyByParent } from '../../loaders.js';
import type { Run } from '../runs/service.js';

// Datasets of projects the caller has no role in load as null, like missing ones, and so do
// their versions: dataset(name), node(id), Run.inputs and lineage all read through here.
export const datasetLoader = (ctx: Context) =>
  ctx.loaders.get('dataset', (s) =>
    byId(
      (ids) => s.datasets.visibleByIds(ctx.access, ids),
      (d) => d.id,
    ),
  );
export const datasetVersionLoader = (ctx: Context) =>
  ctx.loaders.get('datasetVersion', (s) =>
    byId(
      async (ids) => {
        const rows = await s.datasets.visibleVersionsByIds(ctx.access, ids);
        // Labels need the dataset too: it came with the version, so no second round trip.
        for (const row of rows) datasetLoader(ctx).prime(row.dataset.id, row.dataset);
        return rows.map((r) => r.version);
      },
      (v) => v.id,
    ),
  );
export const parentsLoader = (ctx: Context) =>
  ctx.loaders.get('datasetParents', (s) =>
    manyByOwner(
      (ids) => s.datasets.parentsOf(ctx.access, ids),
      (p) => p.childId,
    ),
  );
export const datasetInputsLoader = (ctx: Context) =>
  ctx.loaders.get('runDatasetInputs', (s) =>
    manyByParent(
      async (runs: readonly Run[]) => {
        const { inputs, versions } = await s.datasets.datasetInputsOf(ctx.access, runs);
        // The inputs' versions came with them: Run.inputs shows them without a second round trip.
        for (const row of versions) {
          datasetVersionLoader(ctx).prime(row.version.id, row.version);
          datasetLoader(ctx).prime(row.dataset.id, row.dataset);
        }
        return inputs;
      },
      (i) => i.runId,
    ),
  );
export const modelInputsLoader = (ctx: Context) =>
  ctx.loaders.get('runModelInputs', (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.datasets.modelInputsOf(ctx.access, runs),
      (i) => i.runId,
    ),
  );
