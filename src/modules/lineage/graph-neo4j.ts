// The Neo4j adapter: the projection writer (idempotent, batched MERGE) and the LineageGraph
// reads. All Cypher lives in this file, as the constants of CYPHER, and every value travels
// as a parameter: test/unit/cypher.test.ts parses each statement with Neo4j's own parser.
//
// Model: one (:LineageNode {key: "Run:12", type, id}) per node, one relationship per edge,
// typed by its kind, carrying role, createdAt (epoch ms) and edgeId. Nothing here names a node
// type: a type added to NODE_TYPES is projected, walked and counted with no Cypher change.
// With a namespace (RUNLEDGER_NEO4J_NAMESPACE) keys read "ns/Run:12", so several deployments
// (or test runs) can share one Neo4j: a walk never leaves its namespace, since edges only join
// nodes of one deployment.
import neo4j, { type Driver } from 'neo4j-driver';
import type { Neo4jConfig } from '../../config.js';
import {
  EDGE_KINDS,
  NODE_TYPES,
  type EdgeKind,
  type LineageEdge,
  type LineageGraph,
  MAX_DEPTH,
  type NodeRef,
  nodeKey,
  parseNodeKey,
  type Subgraph,
  edgeKey,
} from './graph.js';
import type { StoredEdge } from './store.js';

const KIND_PATTERN = EDGE_KINDS.join('|');

// Endpoints are merged once per batch (mergeNodes), so each edge only looks its two up: a
// node shared by many edges of a batch is written once.
function mergeEdges(kind: EdgeKind): string {
  return `UNWIND $rows AS row
MATCH (a:LineageNode {key: row.fromKey})
MATCH (b:LineageNode {key: row.toKey})
MERGE (a)-[r:${kind}]->(b)
  ON CREATE SET r.role = row.role, r.createdAt = row.createdAt, r.edgeId = row.edgeId
  ON MATCH SET r.createdAt = CASE WHEN row.createdAt < r.createdAt THEN row.createdAt ELSE r.createdAt END, r.edgeId = row.edgeId
RETURN count(r) AS merged`;
}

// A retracted edge leaves the projection; so do endpoints it leaves without any edge, as
// PostgreSQL knows nodes only through their edges.
function deleteEdges(kind: EdgeKind): string {
  return `UNWIND $rows AS row
MATCH (a:LineageNode {key: row.fromKey})-[r:${kind}]->(b:LineageNode {key: row.toKey})
DELETE r
RETURN count(*) AS deleted`;
}

function step(direction: 'UPSTREAM' | 'DOWNSTREAM'): string {
  const pattern = direction === 'UPSTREAM' ? `<-[r:${KIND_PATTERN}]-` : `-[r:${KIND_PATTERN}]->`;
  return `UNWIND $frontier AS f
MATCH (n:LineageNode {key: f.key})${pattern}(m:LineageNode)
WHERE $at IS NULL OR r.createdAt <= $at
RETURN f.sidx AS sidx, m.key AS key, startNode(r).key AS fromKey, endNode(r).key AS toKey,
       type(r) AS kind, r.role AS role, r.createdAt AS createdAt`;
}

/** Every statement the adapter can send. Relationship types and the depth bound are fixed text, never input. */
export const CYPHER = {
  createKeyConstraint: 'CREATE CONSTRAINT lineage_node_key IF NOT EXISTS FOR (n:LineageNode) REQUIRE n.key IS UNIQUE',
  ping: 'RETURN 1 AS ok',
  mergeNodes: `UNWIND $nodes AS node
MERGE (n:LineageNode {key: node.key})
  ON CREATE SET n.type = node.type, n.id = node.id
RETURN count(n) AS merged`,
  mergeEdges: Object.fromEntries(EDGE_KINDS.map((k) => [k, mergeEdges(k)])) as Record<EdgeKind, string>,
  deleteEdges: Object.fromEntries(EDGE_KINDS.map((k) => [k, deleteEdges(k)])) as Record<EdgeKind, string>,
  deleteLoneNodes: `UNWIND $keys AS key
MATCH (n:LineageNode {key: key})
WHERE NOT (n)--()
DELETE n
RETURN count(*) AS deleted`,
  stepUpstream: step('UPSTREAM'),
  stepDownstream: step('DOWNSTREAM'),
  shortestPath: `MATCH (a:LineageNode {key: $fromKey})
MATCH (b:LineageNode {key: $toKey})
MATCH p = shortestPath((a)-[:${KIND_PATTERN}*..${MAX_DEPTH}]->(b))
WHERE length(p) <= $maxDepth AND all(r IN relationships(p) WHERE $at IS NULL OR r.createdAt <= $at)
RETURN [r IN relationships(p) | {fromKey: startNode(r).key, toKey: endNode(r).key, kind: type(r), role: r.role, createdAt: r.createdAt}] AS edges`,
  deleteBatch: `MATCH (n:LineageNode)
WHERE n.key STARTS WITH $prefix
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted`,
  countNodes: `MATCH (n:LineageNode)
WHERE n.key STARTS WITH $prefix
RETURN n.type AS name, count(*) AS count`,
  countEdges: `MATCH (n:LineageNode)-[r]->()
WHERE n.key STARTS WITH $prefix
RETURN type(r) AS name, count(*) AS count`,
} as const;

/** The statements as a flat list, for the parser test. */
export function allCypherStatements(): { name: string; text: string }[] {
  return Object.entries(CYPHER).flatMap(([name, value]) =>
    typeof value === 'string' ? [{ name, text: value }] : Object.entries(value).map(([k, text]) => ({ name: `${name}.${k}`, text })),
  );
}

/** A driver and the namespace its keys live in: every function below works inside one namespace. */
export interface Neo4jTarget {
  readonly driver: Driver;
  readonly prefix: string;
}

export function openNeo4jTarget(config: Neo4jConfig): Neo4jTarget {
  return { driver: createNeo4jDriver(config), prefix: config.namespace ? `${config.namespace}/` : '' };
}

const keyOf = (target: Neo4jTarget, node: NodeRef) => target.prefix + nodeKey(node);
const refOf = (target: Neo4jTarget, key: string) => parseNodeKey(key.slice(target.prefix.length));

export function createNeo4jDriver(config: Neo4jConfig): Driver {
  const auth = config.username ? neo4j.auth.basic(config.username, config.password ?? '') : undefined;
  return neo4j.driver(config.uri, auth, {
    disableLosslessIntegers: true,
    // Fail fast: while Neo4j is away, reads fall back to PostgreSQL and the outbox waits.
    connectionTimeout: 3000,
    connectionAcquisitionTimeout: 3000,
    maxTransactionRetryTime: 1000,
    logging: { level: 'error', logger: () => {} },
  });
}

interface EdgeRecord {
  fromKey: string;
  toKey: string;
  kind: string;
  role: string | null;
  createdAt: number;
}

function toEdge(target: Neo4jTarget, r: EdgeRecord): LineageEdge {
  return { from: refOf(target, r.fromKey), to: refOf(target, r.toKey), kind: r.kind as EdgeKind, role: r.role ?? null, createdAt: new Date(r.createdAt) };
}

/** Writes edges into the projection; MERGE makes a repeated batch change nothing. */
export async function projectEdges(target: Neo4jTarget, edges: readonly StoredEdge[]): Promise<void> {
  if (edges.length === 0) return;
  const byKind = new Map<EdgeKind, object[]>();
  const nodes = new Map<string, { key: string; type: string; id: number }>();
  for (const e of edges) {
    const rows = byKind.get(e.kind) ?? [];
    const [fromKey, toKey] = [keyOf(target, e.from), keyOf(target, e.to)];
    nodes.set(fromKey, { key: fromKey, ...e.from });
    nodes.set(toKey, { key: toKey, ...e.to });
    rows.push({
      fromKey,
      toKey,
      role: e.role,
      createdAt: e.createdAt.getTime(),
      edgeId: e.id,
    });
    byKind.set(e.kind, rows);
  }
  const session = target.driver.session({ defaultAccessMode: neo4j.session.WRITE });
  try {
    await session.executeWrite(async (tx) => {
      await tx.run(CYPHER.mergeNodes, { nodes: [...nodes.values()] });
      for (const [kind, rows] of byKind) await tx.run(CYPHER.mergeEdges[kind], { rows });
    });
  } finally {
    await session.close();
  }
}

/** Removes retracted edges (and the nodes they leave alone) from the projection; repeating it changes nothing. */
export async function removeEdges(target: Neo4jTarget, edges: readonly StoredEdge[]): Promise<void> {
  if (edges.length === 0) return;
  const byKind = new Map<EdgeKind, object[]>();
  const keys = new Set<string>();
  for (const e of edges) {
    const [fromKey, toKey] = [keyOf(target, e.from), keyOf(target, e.to)];
    keys.add(fromKey).add(toKey);
    byKind.set(e.kind, [...(byKind.get(e.kind) ?? []), { fromKey, toKey }]);
  }
  const session = target.driver.session({ defaultAccessMode: neo4j.session.WRITE });
  try {
    await session.executeWrite(async (tx) => {
      for (const [kind, rows] of byKind) await tx.run(CYPHER.deleteEdges[kind], { rows });
      await tx.run(CYPHER.deleteLoneNodes, { keys: [...keys] });
    });
  } finally {
    await session.close();
  }
}

export async function ensureNeo4jSchema(target: Neo4jTarget): Promise<void> {
  await target.driver.executeQuery(CYPHER.createKeyConstraint);
}

/** Removes the namespace's projection in batches (before a clean rebuild). */
export async function clearProjection(target: Neo4jTarget, batch = 10_000): Promise<void> {
  for (;;) {
    const { records } = await target.driver.executeQuery(CYPHER.deleteBatch, { limit: neo4j.int(batch), prefix: target.prefix });
    if (Number(records[0]?.get('deleted') ?? 0) === 0) return;
  }
}

export interface ProjectionCounts {
  /** Nodes per node type and edges per edge kind; every known type and kind is present, 0 when absent. */
  nodes: Record<string, number>;
  edges: Record<string, number>;
}

/** What the projection holds, per type and kind, for lineage:verify. */
export async function projectionCounts(target: Neo4jTarget): Promise<ProjectionCounts> {
  const tally = async (text: string, names: readonly string[]) => {
    const out: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
    const { records } = await target.driver.executeQuery(text, { prefix: target.prefix }, { routing: neo4j.routing.READ });
    for (const r of records) out[r.get('name') as string] = Number(r.get('count'));
    return out;
  };
  return { nodes: await tally(CYPHER.countNodes, NODE_TYPES), edges: await tally(CYPHER.countEdges, EDGE_KINDS) };
}

/**
 * Reads: a breadth-first walk, one parameterised statement per hop for all starts together,
 * with the visited set kept here, so the depth is a parameter and no node is expanded twice.
 */
export function createNeo4jLineageGraph(target: Neo4jTarget): LineageGraph {
  const key = (node: NodeRef) => keyOf(target, node);
  const ref = (k: string) => refOf(target, k);
  async function read<T>(text: string, params: Record<string, unknown>): Promise<T[]> {
    const { records } = await target.driver.executeQuery(text, params, { routing: neo4j.routing.READ });
    return records.map((r) => r.toObject() as T);
  }

  /** Per start: node key -> depth, and the edges walked, for one direction. */
  async function walk(starts: readonly NodeRef[], way: 'UPSTREAM' | 'DOWNSTREAM', depth: number, at: number | null) {
    const seen = starts.map((s) => new Map<string, number>([[key(s), 0]]));
    const edges = starts.map(() => new Map<string, LineageEdge>());
    let frontier = starts.map((s, sidx) => ({ sidx, key: key(s) }));
    for (let d = 0; d < depth && frontier.length; d += 1) {
      const rows = await read<EdgeRecord & { sidx: number; key: string }>(way === 'UPSTREAM' ? CYPHER.stepUpstream : CYPHER.stepDownstream, {
        frontier,
        at,
      });
      const next: { sidx: number; key: string }[] = [];
      for (const row of rows) {
        const edge = toEdge(target, row);
        edges[row.sidx]!.set(edgeKey(edge), edge);
        if (!seen[row.sidx]!.has(row.key)) {
          seen[row.sidx]!.set(row.key, d + 1);
          next.push({ sidx: row.sidx, key: row.key });
        }
      }
      frontier = next;
    }
    return { seen, edges };
  }

  return {
    source: 'neo4j',

    async traverse(starts, options) {
      if (starts.length === 0) return [];
      const at = options.at ? options.at.getTime() : null;
      const ways = options.direction === 'BOTH' ? (['UPSTREAM', 'DOWNSTREAM'] as const) : [options.direction];
      const results: Awaited<ReturnType<typeof walk>>[] = [];
      for (const way of ways) results.push(await walk(starts, way, options.depth, at));
      return starts.map((start, sidx): Subgraph => {
        const depthOf = new Map<string, number>();
        const edges = new Map<string, LineageEdge>();
        for (const r of results) {
          for (const [key, d] of r.seen[sidx]!) depthOf.set(key, Math.min(d, depthOf.get(key) ?? Infinity));
          for (const [key, e] of r.edges[sidx]!) edges.set(key, e);
        }
        const startKey = key(start);
        const kept = [...depthOf].filter(([key]) => key === startKey || !options.types?.length || options.types.includes(ref(key).type));
        const keptKeys = new Set(kept.map(([key]) => key));
        return {
          nodes: kept.map(([key, depth]) => ({ ...ref(key), depth })),
          edges: [...edges.values()].filter((e) => keptKeys.has(key(e.from)) && keptKeys.has(key(e.to))),
        };
      });
    },

    async path(from, to, options) {
      if (key(from) === key(to)) return { nodes: [{ ...from, depth: 0 }], edges: [] };
      const rows = await read<{ edges: EdgeRecord[] }>(CYPHER.shortestPath, {
        fromKey: key(from),
        toKey: key(to),
        maxDepth: options.maxDepth,
        at: options.at ? options.at.getTime() : null,
      });
      if (!rows[0]) return null;
      const edges = rows[0].edges.map((r) => toEdge(target, r));
      return { nodes: [{ ...from, depth: 0 }, ...edges.map((e, i) => ({ ...e.to, depth: i + 1 }))], edges };
    },

    async reach(starts, options) {
      if (starts.length === 0) return [];
      // One merged walk: the starts share a single visited set, so every node is expanded once.
      const seen = new Set<string>(starts.map((s) => key(s)));
      let frontier = [...seen].map((key) => ({ sidx: 0, key }));
      const at = options.at ? options.at.getTime() : null;
      while (frontier.length) {
        const rows = await read<{ key: string }>(options.direction === 'UPSTREAM' ? CYPHER.stepUpstream : CYPHER.stepDownstream, { frontier, at });
        const next: { sidx: number; key: string }[] = [];
        for (const row of rows) {
          if (seen.has(row.key)) continue;
          seen.add(row.key);
          next.push({ sidx: 0, key: row.key });
        }
        frontier = next;
      }
      return [...seen]
        .map(ref)
        .filter((node) => node.type === options.targetType)
        .sort((a, b) => a.id - b.id);
    },
  };
}
