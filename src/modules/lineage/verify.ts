// Compares the Neo4j projection with PostgreSQL, the system of record: node counts per type,
// edge counts per kind, and a sample of walks answered by both adapters. Used by
// `npm run lineage:verify` (after an incident, before trusting Neo4j again) and by tests.
import type { SqlQueryable } from '../../db/sql.js';
import { createNeo4jLineageGraph, type Neo4jTarget, projectionCounts } from './graph-neo4j.js';
import { EDGE_KINDS, type NodeRef, type NodeType, NODE_TYPES, nodeKey, sortSubgraph, type Subgraph } from './graph.js';
import { createPostgresLineageGraph } from './postgres-graph-store.js';
import { lineageCounts, outboxStats, sampleEdgeSources } from './store.js';

export interface CountRow {
  readonly what: string;
  readonly postgres: number;
  readonly neo4j: number;
}

export interface VerifyReport {
  /** True when every count and every sampled walk agree and nothing is waiting in the outbox. */
  readonly equal: boolean;
  readonly pending: number;
  readonly counts: CountRow[];
  readonly walks: { checked: number; differing: string[] };
}

export interface VerifyOptions {
  samples?: number;
  depth?: number;
}

function describeWalk(start: NodeRef, direction: string, g: Subgraph): string {
  const s = sortSubgraph(g);
  return JSON.stringify({
    start: nodeKey(start),
    direction,
    nodes: s.nodes.map((n) => `${nodeKey(n)}@${n.depth}`),
    edges: s.edges.map((e) => `${nodeKey(e.from)}-${e.kind}->${nodeKey(e.to)} ${e.role ?? ''} ${e.createdAt.toISOString()}`),
  });
}

export async function verifyProjection(sql: SqlQueryable, target: Neo4jTarget, options: VerifyOptions = {}): Promise<VerifyReport> {
  const pending = (await outboxStats(sql)).pending;
  const [pg, neo] = [await lineageCounts(sql), await projectionCounts(target)];
  // Known types and kinds first, then anything else either side holds (a type from a newer version).
  const nodeNames = [...new Set([...NODE_TYPES, ...Object.keys(pg.nodes), ...Object.keys(neo.nodes)])];
  const edgeNames = [...new Set([...EDGE_KINDS, ...Object.keys(pg.edges), ...Object.keys(neo.edges)])];
  const counts: CountRow[] = [
    ...nodeNames.map((n) => ({ what: `nodes ${n}`, postgres: pg.nodes[n] ?? 0, neo4j: neo.nodes[n] ?? 0 })),
    ...edgeNames.map((k) => ({ what: `edges ${k}`, postgres: pg.edges[k] ?? 0, neo4j: neo.edges[k] ?? 0 })),
  ];

  const postgres = createPostgresLineageGraph(sql);
  const neo4j = createNeo4jLineageGraph(target);
  const starts = await sampleEdgeSources(sql, options.samples ?? 20);
  const differing: string[] = [];
  for (const direction of ['UPSTREAM', 'DOWNSTREAM'] as const) {
    const query = { direction, depth: options.depth ?? 3 };
    const [a, b] = [await postgres.traverse(starts, query), await neo4j.traverse(starts, query)];
    starts.forEach((start, i) => {
      const [x, y] = [describeWalk(start, direction, a[i]!), describeWalk(start, direction, b[i]!)];
      if (x !== y) differing.push(`${direction} from ${nodeKey(start)}:\n  postgres ${x}\n  neo4j    ${y}`);
    });
  }
  const equal = pending === 0 && differing.length === 0 && counts.every((c) => c.postgres === c.neo4j);
  return { equal, pending, counts, walks: { checked: starts.length * 2, differing } };
}
