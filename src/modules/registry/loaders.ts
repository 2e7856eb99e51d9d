// Per-request loaders of the registry, each reading through the registry service as the caller.
import type { Context } from '../../context.js';
import { byId, manyByParent } from '../../loaders.js';
import { runLoader } from '../runs/loaders.js';
import type { Run } from '../runs/service.js';
import type { ModelVersion, RegisteredModel } from './service.js';

// Models of projects the caller has no role in load as null, like missing ones.
export const modelLoader = (ctx: Context) =>
  ctx.loaders.get('registeredModel', (s) =>
    byId(
      (ids) => s.registry.visibleModelsByIds(ctx.access, ids),
      (m) => m.id,
    ),
  );

/**
 * A model version is visible when both its model and the run that produced it are (the
 * registry service decides); invisible ones load as null.
 */
export const modelVersionLoader = (ctx: Context) =>
  ctx.loaders.get('modelVersion', (s) =>
    byId(
      async (ids) => {
        const rows = await s.registry.visibleVersionsByIds(ctx.access, ids);
        // Labels need the model too: it came with the version, so no second round trip.
        for (const row of rows) modelLoader(ctx).prime(row.model.id, row.model);
        return rows.map((r) => r.version);
      },
      (v) => v.id,
    ),
  );
export const runModelVersionsLoader = (ctx: Context) =>
  ctx.loaders.get('runModelVersions', (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.registry.versionsOfRuns(ctx.access, runs),
      (v) => v.runId!,
    ),
  );
export const modelAliasesLoader = (ctx: Context) =>
  ctx.loaders.get('modelAliases', (s) =>
    manyByParent(
      (models: readonly RegisteredModel[]) => s.registry.aliasesOfModels(ctx.access, models),
      (a) => a.modelId,
    ),
  );
export const versionAliasesLoader = (ctx: Context) =>
  ctx.loaders.get('versionAliases', (s) =>
    manyByParent(
      (versions: readonly ModelVersion[]) => s.registry.aliasesOfVersions(ctx.access, versions),
      (a) => a.versionId,
    ),
  );

/**
 * registeredModel(name) when the query goes on to its aliases: the model, its aliases, their
 * versions and runs come from one statement, and the loaders those fields read are primed with
 * them (only with what the service let the caller see; anything else loads, and is refused, as
 * before).
 */
export async function modelByNameWithAliases(ctx: Context, name: string): Promise<RegisteredModel | null> {
  const found = await ctx.services.registry.getWithAliases(ctx.access, name);
  if (!found) return null;
  modelLoader(ctx).prime(found.model.id, found.model);
  modelAliasesLoader(ctx).prime(found.model, found.aliases);
  for (const { version } of found.versions) modelVersionLoader(ctx).prime(version.id, version);
  for (const run of found.runs) runLoader(ctx).prime(run.id, run);
  return found.model;
}
