import type { Context } from '../../context.js';
import { byId, manyByOwner } from '../../loaders.js';

export const datasetLoader = (ctx: Context) => ctx.loaders.get('dataset', (s) => byId((ids) => s.datasets.byIds(ids), (d) => d.id));
export const datasetVersionLoader = (ctx: Context) => ctx.loaders.get('datasetVersion', (s) => byId((ids) => s.datasets.versionsByIds(ids), (v) => v.id));
export const parentsLoader = (ctx: Context) => ctx.loaders.get('datasetParents', (s) => manyByOwner((ids) => s.datasets.parentsOf(ids), (p) => p.childId));
export const datasetInputsLoader = (ctx: Context) => ctx.loaders.get('runDatasetInputs', (s) => manyByOwner((ids) => s.datasets.datasetInputsOf(ids), (i) => i.runId));
export const modelInputsLoader = (ctx: Context) => ctx.loaders.get('runModelInputs', (s) => manyByOwner((ids) => s.datasets.modelInputsOf(ids), (i) => i.runId));
