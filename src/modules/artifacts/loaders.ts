// Per-request loaders of artifacts, each reading through the artifact service as the caller.
import type { Context } from '../../context.js';
import { byId, manyByParent } from '../../loaders.js';
import type { Run } from '../runs/service.js';
import type { MediaFilter } from './records.js';

// An artifact is visible through its run: artifacts of invisible runs load as null (node(id), lineage).
export const artifactLoader = (ctx: Context) =>
  ctx.loaders.get('artifact', (s) =>
    byId(
      (ids) => s.artifacts.visibleByIds(ctx.access, ids),
      (a) => a.id,
    ),
  );
export const runArtifactsLoader = (ctx: Context) =>
  ctx.loaders.get('runArtifacts', (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.artifacts.ofRuns(ctx.access, runs),
      (a) => a.runId!,
    ),
  );
export const codeDiffLoader = (ctx: Context) =>
  ctx.loaders.get('codeDiff', (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.artifacts.codeDiffsOf(ctx.access, runs),
      (d) => d.runId,
    ),
  );
export const mediaKeysLoader = (ctx: Context) =>
  ctx.loaders.get('mediaKeys', (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.artifacts.mediaKeysOf(ctx.access, runs),
      (m) => m.runId,
    ),
  );
/** Run.media for every run of a request asking the same page: one statement. */
export const mediaLoader = (ctx: Context, filter: MediaFilter, limit: number) =>
  ctx.loaders.get(`media:${JSON.stringify([filter, limit])}`, (s) =>
    manyByParent(
      (runs: readonly Run[]) => s.artifacts.mediaOf(ctx.access, runs, filter, limit),
      // Read by run, so each has its run (only a logged model's files have none; 0 is no run's id).
      (a) => a.runId ?? 0,
    ),
  );
