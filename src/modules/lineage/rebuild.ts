// Re-projects every lineage edge from PostgreSQL into Neo4j, in id order and in batches. MERGE
// makes it safe while servers run; `clean` first deletes the namespace's projection (stale
// nodes too). Used by `npm run lineage:rebuild` and by the lineage benchmark, which times it.
import type { SqlQueryable } from '../../db/sql.js';
import { clearProjection, ensureNeo4jSchema, type Neo4jTarget, projectEdges } from './graph-neo4j.js';
import type { StoredEdge } from './store.js';
import { advanceProjectionMark, countEdges, edgesAfter, markEdgesProjected } from './store.js';

export interface RebuildOptions {
  clean?: boolean;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function rebuildProjection(sql: SqlQueryable, target: Neo4jTarget, options: RebuildOptions = {}): Promise<{ edges: number; ms: number }> {
  const batch = options.batchSize ?? 5000;
  const started = performance.now();
  await target.driver.verifyConnectivity();
  await ensureNeo4jSchema(target);
  if (options.clean) await clearProjection(target);
  const total = await countEdges(sql);
  let done = 0;
  let lastId = 0;
  options.onProgress?.(0, total);
  // PostgreSQL reads the next batch while Neo4j writes this one.
  let next: Promise<StoredEdge[]> = edgesAfter(sql, lastId, batch);
  for (;;) {
    const edges = await next;
    if (edges.length === 0) break;
    lastId = edges.at(-1)!.id;
    next = edgesAfter(sql, lastId, batch);
    await projectEdges(target, edges);
    // These edges are in Neo4j now: their pending outbox rows need not be sent again.
    await markEdgesProjected(
      sql,
      edges.map((e) => e.id),
    );
    done += edges.length;
    options.onProgress?.(done, Math.max(total, done));
  }
  // Every edge up to here is projected: the sync worker need not queue them.
  await advanceProjectionMark(sql, lastId);
  return { edges: done, ms: performance.now() - started };
}
