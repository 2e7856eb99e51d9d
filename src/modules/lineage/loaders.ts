// Per-request loaders of lineage: walks batched by start node, and the objects behind nodes.
import DataLoader from 'dataloader';
import type { Context } from '../../context.js';
import { byId } from '../../loaders.js';
import { type NodeRef, nodeKey } from './graph.js';
import type { LineageQuery, LineageResult } from './service.js';

/**
 * Every `lineage` field with the same arguments in one request shares a loader, so a page
 * of 50 runs asking for their lineage costs one recursive query, keyed by start node.
 */
export const lineageLoader = (ctx: Context, query: LineageQuery) =>
  ctx.loaders.get(`lineage:${query.direction}:${query.depth ?? ''}:${(query.types ?? []).join(',')}:${query.at?.toISOString() ?? ''}`, (s) => {
    return new DataLoader<NodeRef, LineageResult, string>((starts) => s.lineage.traverseMany(ctx.access, starts, query), { cacheKeyFn: nodeKey });
  });

/** Commits the caller may see: those used by at least one run of a project they have a role in. */
export const codeCommitLoader = (ctx: Context) =>
  ctx.loaders.get('codeCommit', (s) =>
    byId(
      (ids) => s.lineage.codeCommitsByIds(ctx.access, ids),
      (c) => c.id,
    ),
  );
