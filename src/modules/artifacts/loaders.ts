import type { Context } from '../../context.js';
import { byId, foundIds, manyByOwner } from '../../loaders.js';
import { runLoader } from '../runs/loaders.js';

// An artifact is visible through its run: artifacts of invisible runs load as null (node(id), lineage).
export const artifactLoader = (ctx: Context) =>
  ctx.loaders.get('artifact', (s) =>
    byId(
      async (ids) => {
        const rows = await s.artifacts.byIds(ids);
        if (ctx.access.isAdmin) return rows;
        const visible = foundIds(await runLoader(ctx).loadMany([...new Set(rows.map((a) => a.runId))]));
        return rows.filter((a) => visible.has(a.runId));
      },
      (a) => a.id,
    ),
  );
export const runArtifactsLoader = (ctx: Context) =>
  ctx.loaders.get('runArtifacts', (s) =>
    manyByOwner(
      (ids) => s.artifacts.ofRuns(ids),
      (a) => a.runId,
    ),
  );
export const codeDiffLoader = (ctx: Context) =>
  ctx.loaders.get('codeDiff', (s) =>
    byId(
      (ids) => s.artifacts.codeDiffsOf(ids),
      (d) => d.runId,
    ),
  );
