// Lineage reads: walks, paths and reachability over the LineageGraph port, on Neo4j when the
// projection is reachable and current, on PostgreSQL otherwise; plus the commit nodes. What a
// caller sees of a walk is decided here: hidden nodes are cut and redacted (see redact.ts).
import type { Database } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Access } from '../auth/access.js';
import { isGlobalAdmin, readableProjects } from '../auth/policy.js';
import { type Direction, type LineageGraph, MAX_DEPTH, type NodeRef, nodeKey, type NodeType, type Subgraph, sortSubgraph } from './graph.js';
import { createPostgresLineageGraph } from './postgres-graph-store.js';
import { findCommit } from './commits.js';
import { visibleNodeKeys } from './policy.js';
import { anonymize, restrictToVisible } from './redact.js';
import { commitsByIds, existingNodeIds, hasPendingOutbox, outboxStats } from './store.js';
import type { SyncWorker } from './sync-worker.js';

export const DEFAULT_DEPTH = 10;

export interface LineageQuery {
  direction: Direction;
  depth?: number | null;
  types?: readonly NodeType[] | null;
  at?: Date | null;
}

export interface LineageResult extends Subgraph {
  readonly start: NodeRef;
  readonly direction: Direction;
  readonly requestedDepth: number;
  readonly appliedDepth: number;
  readonly depthClamped: boolean;
  readonly at: Date | null;
  readonly source: 'postgres' | 'neo4j';
}

export interface PathResult extends Subgraph {
  readonly source: 'postgres' | 'neo4j';
  readonly at: Date | null;
}

// The table holding each node type: an id that is not there is NOT_FOUND.
const NODE_TABLES: Record<NodeType, string> = {
  CodeCommit: 'code_commits',
  Run: 'runs',
  DatasetVersion: 'dataset_versions',
  Artifact: 'artifacts',
  ModelVersion: 'model_versions',
  PipelineRun: 'pipeline_runs',
};

/** The Neo4j side, when configured (see projection.ts). */
export interface Neo4jProjection {
  graph: LineageGraph;
  worker: SyncWorker;
  close(): Promise<void>;
}

export function clampDepth(field: string, depth: number | null | undefined): { requested: number; applied: number; clamped: boolean } {
  const requested = depth ?? DEFAULT_DEPTH;
  if (!Number.isInteger(requested) || requested < 0) throw new ValidationError(field, `must be a whole number of hops, 0 or more (got ${requested})`);
  const applied = Math.min(requested, MAX_DEPTH);
  return { requested, applied, clamped: applied < requested };
}

export function createLineageService(db: Database, log: Logger, neo4j: Neo4jProjection | null = null) {
  const postgres = createPostgresLineageGraph(db.sql);
  const projection = neo4j?.graph ?? null;

  /** Neo4j answers only when it is reachable and has every change; otherwise PostgreSQL does. */
  async function withGraph<T>(read: (graph: LineageGraph) => Promise<T>): Promise<{ value: T; source: LineageGraph['source'] }> {
    if (projection && neo4j?.worker.healthy && !(await hasPendingOutbox(db.sql))) {
      try {
        return { value: await read(projection), source: projection.source };
      } catch (error) {
        neo4j.worker.markUnhealthy(error);
        log.warn('neo4j lineage read failed; answered from PostgreSQL', { err: error });
      }
    }
    return { value: await read(postgres), source: postgres.source };
  }

  async function existingIds(type: NodeType, ids: readonly number[]): Promise<Set<number>> {
    const table = NODE_TABLES[type];
    if (!table || ids.length === 0) return new Set();
    return existingNodeIds(db.sql, table, ids);
  }

  async function requireNode(node: NodeRef): Promise<void> {
    if (!(await existingIds(node.type, [node.id])).has(node.id)) throw new NotFoundError(node.type, node.id);
  }

  async function traverseMany(starts: readonly NodeRef[], query: LineageQuery, field = 'depth'): Promise<LineageResult[]> {
    const depth = clampDepth(field, query.depth);
    const { value, source } = await withGraph((g) =>
      g.traverse(starts, { direction: query.direction, depth: depth.applied, types: query.types ?? null, at: query.at ?? null }),
    );
    return value.map((graph, i) => ({
      ...sortSubgraph(graph),
      start: starts[i]!,
      direction: query.direction,
      requestedDepth: depth.requested,
      appliedDepth: depth.applied,
      depthClamped: depth.clamped,
      at: query.at ?? null,
      source,
    }));
  }

  /** A node a read starts from must exist and be visible to the caller; otherwise NOT_FOUND, so existence does not leak. */
  async function requireVisibleNode(caller: Access, node: NodeRef, ref: string | number = node.id): Promise<void> {
    if (!(await visibleNodeKeys(db.sql, caller, [node])).has(nodeKey(node))) throw new NotFoundError(node.type, ref);
  }

  /**
   * Walks as the caller may see them. Global admins get the walks as stored. Others get each cut
   * at the first node they may not see, which stays as a redacted leaf; the walk is then taken
   * without the types filter, since cutting needs the nodes in between, and filtered afterwards.
   */
  async function visibleWalks(caller: Access, starts: readonly NodeRef[], query: LineageQuery, field = 'depth'): Promise<LineageResult[]> {
    if (isGlobalAdmin(caller)) return traverseMany(starts, query, field);
    const walks = await traverseMany(starts, { ...query, types: null }, field);
    const visible = await visibleNodeKeys(
      db.sql,
      caller,
      walks.flatMap((w) => w.nodes),
    );
    const isVisible = (key: string) => visible.has(key);
    return walks.map((full) => {
      const cut = restrictToVisible(full, full.start, { direction: full.direction, maxDepth: full.appliedDepth, types: query.types ?? null, isVisible });
      return { ...full, ...sortSubgraph(anonymize(cut, isVisible)) };
    });
  }

  return {
    /** The graph around one node the caller may see (NOT_FOUND otherwise), with what the caller may not see redacted. */
    async lineage(caller: Access, start: NodeRef, query: LineageQuery, ref: string | number = start.id): Promise<LineageResult> {
      clampDepth('depth', query.depth);
      // The walk does not wait for the visibility check; its answer is dropped when the start is missing or hidden.
      const [visible, walks] = await Promise.allSettled([requireVisibleNode(caller, start, ref), visibleWalks(caller, [start], query)]);
      if (visible.status === 'rejected') throw visible.reason;
      if (walks.status === 'rejected') throw walks.reason;
      return walks.value[0]!;
    },

    /** The graphs around many nodes the caller read, in one walk (DataLoader batches of Run.lineage etc.), redacted as in `lineage`. */
    traverseMany: visibleWalks,

    /**
     * A shortest path from one node to the other along the arrows, tried both ways round; null
     * when none. Both ends must be visible (NOT_FOUND otherwise); hidden nodes on it are anonymized.
     */
    async path(caller: Access, from: NodeRef, to: NodeRef, at: Date | null = null, refs: { from?: string; to?: string } = {}): Promise<PathResult | null> {
      await requireVisibleNode(caller, from, refs.from ?? from.id);
      await requireVisibleNode(caller, to, refs.to ?? to.id);
      const { value, source } = await withGraph(async (g) => {
        const forward = await g.path(from, to, { at, maxDepth: MAX_DEPTH });
        return forward ?? (await g.path(to, from, { at, maxDepth: MAX_DEPTH }));
      });
      if (!value) return null;
      if (isGlobalAdmin(caller)) return { ...value, source, at };
      const visible = await visibleNodeKeys(db.sql, caller, value.nodes);
      return { ...value, ...anonymize(value, (key) => visible.has(key)), source, at };
    },

    requireVisibleNode,

    /** Commits the caller may see: a commit belongs to no project, so it is visible through the runs that used it. */
    async codeCommitsByIds(caller: Access, ids: readonly number[]) {
      return commitsByIds(db.sql, ids, await readableProjects(caller));
    },

    /**
     * A repository's commit by its sha or an unambiguous prefix of 7+ characters, among those a
     * run the caller may see used; null when none did.
     */
    async codeCommit(caller: Access, repository: string, commit: string) {
      return findCommit(db.prisma, repository, commit, await readableProjects(caller));
    },

    /** Unchecked reads for other services (incidents), which apply their own policy. */
    internal: {
      /** Nodes of `targetType` reachable from the starts at any distance (e.g. model versions downstream of a dataset). */
      async reach(starts: readonly NodeRef[], direction: 'UPSTREAM' | 'DOWNSTREAM', targetType: NodeType, at: Date | null = null): Promise<NodeRef[]> {
        const { value } = await withGraph((g) => g.reach(starts, { direction, targetType, at }));
        return value;
      },
      requireNode,
      existingIds,
      traverseMany,
    },

    outboxStats: () => outboxStats(db.sql),

    /**
     * The Neo4j projection for /healthz: null when not configured; 'ok' when reads go to it,
     * 'catching-up' while the outbox drains, 'unavailable' while it cannot be reached (reads
     * answer from PostgreSQL meanwhile, so lineage still works).
     */
    async projectionHealth(): Promise<'ok' | 'catching-up' | 'unavailable' | null> {
      if (!neo4j) return null;
      if (!neo4j.worker.healthy) return 'unavailable';
      return (await hasPendingOutbox(db.sql)) ? 'catching-up' : 'ok';
    },

    /** Starts draining the outbox into Neo4j, when configured. */
    start() {
      neo4j?.worker.start();
    },

    async stop() {
      if (!neo4j) return;
      await neo4j.worker.stop();
      await neo4j.close();
    },

    /** The projection's worker, when Neo4j is configured (tests and the rebuild script use it). */
    worker: neo4j?.worker ?? null,
  };
}

export type LineageService = ReturnType<typeof createLineageService>;
