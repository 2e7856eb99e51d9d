import type { Context } from '../../context.js';
import { byId, manyByOwner } from '../../loaders.js';

export const modelLoader = (ctx: Context) => ctx.loaders.get('registeredModel', (s) => byId((ids) => s.registry.modelsByIds(ids), (m) => m.id));
export const modelVersionLoader = (ctx: Context) => ctx.loaders.get('modelVersion', (s) => byId((ids) => s.registry.versionsByIds(ids), (v) => v.id));
export const runModelVersionsLoader = (ctx: Context) => ctx.loaders.get('runModelVersions', (s) => manyByOwner((ids) => s.registry.versionsOfRuns(ids), (v) => v.runId));
export const modelAliasesLoader = (ctx: Context) => ctx.loaders.get('modelAliases', (s) => manyByOwner((ids) => s.registry.aliasesOfModels(ids), (a) => a.modelId));
export const versionAliasesLoader = (ctx: Context) => ctx.loaders.get('versionAliases', (s) => manyByOwner((ids) => s.registry.aliasesOfVersions(ids), (a) => a.versionId));
