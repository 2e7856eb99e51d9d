import type { Context } from '../../context.js';
import { byId, manyByOwner } from '../../loaders.js';

export const artifactLoader = (ctx: Context) => ctx.loaders.get('artifact', (s) => byId((ids) => s.artifacts.byIds(ids), (a) => a.id));
export const runArtifactsLoader = (ctx: Context) => ctx.loaders.get('runArtifacts', (s) => manyByOwner((ids) => s.artifacts.ofRuns(ids), (a) => a.runId));
export const codeDiffLoader = (ctx: Context) => ctx.loaders.get('codeDiff', (s) => byId((ids) => s.artifacts.codeDiffsOf(ids), (d) => d.runId));
