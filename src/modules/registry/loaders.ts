import type { Context } from '../../context.js';
import { byId, foundIds, manyByOwner, primeVisibleParents } from '../../loaders.js';
import { runLoader } from '../runs/loaders.js';

// Models of projects the caller has no role in load as null, like missing ones.
export const modelLoader = (ctx: Context) =>
  ctx.loaders.get('registeredModel', (s) =>
    byId(
      async (ids) => ctx.access.filterVisible(await s.registry.modelsByIds(ids), (m) => m.projectId),
      (m) => m.id,
    ),
  );

/**
 * A model version is visible when both its model and the run that produced it are: it joins the
 * two projects, and showing it would show either's data. Invisible ones load as null.
 */
export const modelVersionLoader = (ctx: Context) =>
  ctx.loaders.get('modelVersion', (s) =>
    byId(
      async (ids) => {
        const rows = await s.registry.versionsByIds(ids);
        const visibleModels = await primeVisibleParents(
          ctx.access,
          rows.map((r) => r.model),
          modelLoader(ctx),
        );
        const versions = rows.map((r) => r.version);
        if (ctx.access.isAdmin) return versions;
        const visibleRuns = foundIds(await runLoader(ctx).loadMany([...new Set(versions.map((v) => v.runId))]));
        return versions.filter((v) => visibleModels.has(v.modelId) && visibleRuns.has(v.runId));
      },
      (v) => v.id,
    ),
  );
export const runModelVersionsLoader = (ctx: Context) =>
  ctx.loaders.get('runModelVersions', (s) =>
    manyByOwner(
      (ids) => s.registry.versionsOfRuns(ids),
      (v) => v.runId,
    ),
  );
export const modelAliasesLoader = (ctx: Context) =>
  ctx.loaders.get('modelAliases', (s) =>
    manyByOwner(
      (ids) => s.registry.aliasesOfModels(ids),
      (a) => a.modelId,
    ),
  );
export const versionAliasesLoader = (ctx: Context) =>
  ctx.loaders.get('versionAliases', (s) =>
    manyByOwner(
      (ids) => s.registry.aliasesOfVersions(ids),
      (a) => a.versionId,
    ),
  );
