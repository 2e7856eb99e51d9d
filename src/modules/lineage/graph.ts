// The LineageGraph port: the read side of lineage, answered by PostgreSQL (graph-postgres.ts)
// or by the Neo4j projection (graph-neo4j.ts). Both adapters pass test/support/lineage-contract.ts.

// PipelineRun: a run of a data pipeline job (Airflow, dbt, Spark), reported by OpenLineage events.
export const NODE_TYPES = ['CodeCommit', 'Run', 'DatasetVersion', 'Artifact', 'ModelVersion', 'PipelineRun'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export const EDGE_KINDS = ['INPUT_TO', 'PRODUCED', 'REGISTERED_AS', 'DERIVED_INTO', 'PARENT_OF'] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

/** UPSTREAM walks against the arrows (what went in), DOWNSTREAM along them (what came out). */
export type Direction = 'UPSTREAM' | 'DOWNSTREAM' | 'BOTH';

/** Deep walks are bounded: a request for more is served at this depth and says so. */
export const MAX_DEPTH = 50;

export interface NodeRef {
  readonly type: NodeType;
  readonly id: number;
}

export interface LineageEdge {
  readonly from: NodeRef;
  readonly to: NodeRef;
  readonly kind: EdgeKind;
  readonly role: string | null;
  readonly createdAt: Date;
}

/** A node reached by a walk, with the fewest hops it took from the start. */
export interface ReachedNode extends NodeRef {
  readonly depth: number;
}

export interface Subgraph {
  readonly nodes: ReachedNode[];
  readonly edges: LineageEdge[];
}

export interface TraverseOptions {
  readonly direction: Direction;
  /** Hops from the start, 0..MAX_DEPTH (the service clamps before calling). */
  readonly depth: number;
  /** Only nodes of these types are returned (the walk still passes through the others). */
  readonly types?: readonly NodeType[] | null;
  /** Only edges recorded at or before this instant exist. */
  readonly at?: Date | null;
}

export interface ReachOptions {
  readonly direction: Exclude<Direction, 'BOTH'>;
  readonly targetType: NodeType;
  readonly at?: Date | null;
}

export interface LineageGraph {
  readonly source: 'postgres' | 'neo4j';
  /**
   * One subgraph per start, in the order of `starts`, from one round of queries: a page of
   * runs asking for their lineage costs the same number of statements as one run.
   */
  traverse(starts: readonly NodeRef[], options: TraverseOptions): Promise<Subgraph[]>;
  /** A shortest directed path from `from` to `to` (along the arrows), or null. */
  path(from: NodeRef, to: NodeRef, options: { at?: Date | null; maxDepth: number }): Promise<Subgraph | null>;
  /**
   * Nodes of `targetType` reachable from any of `starts` at any distance, ordered by id. A set
   * walk (each node visited once), so it stays linear in the edges reached and ends on cycles.
   */
  reach(starts: readonly NodeRef[], options: ReachOptions): Promise<NodeRef[]>;
}

export function nodeKey(node: NodeRef): string {
  return `${node.type}:${node.id}`;
}

export function edgeKey(edge: LineageEdge): string {
  return `${nodeKey(edge.from)}-${edge.kind}->${nodeKey(edge.to)}`;
}

export function parseNodeKey(key: string): NodeRef {
  const at = key.lastIndexOf(':');
  return { type: key.slice(0, at) as NodeType, id: Number(key.slice(at + 1)) };
}

/** Orders a subgraph the same way whichever adapter produced it: by depth, then type and id. */
export function sortSubgraph(graph: Subgraph): Subgraph {
  const nodes = [...graph.nodes].sort((a, b) => a.depth - b.depth || a.type.localeCompare(b.type) || a.id - b.id);
  const edges = [...graph.edges].sort((a, b) => edgeKey(a).localeCompare(edgeKey(b)));
  return { nodes, edges };
}
