// What a caller may see of a walked lineage graph. A node they may not see (a project they have
// no role in) stays only as a redacted boundary: the walk does not continue through it, so the
// shape of a forbidden project's graph beyond the first node does not leak either.
import { type Direction, type LineageEdge, nodeKey, type NodeType, type ReachedNode, type Subgraph } from './graph.js';

/**
 * Re-walks `graph` (an unfiltered walk from `start`) breadth-first, expanding only visible
 * nodes: invisible ones reached from a visible node are kept as leaves. Depths are the fewest
 * hops through visible nodes, at most `maxDepth`. Edges are kept when both ends are and at least
 * one is visible. `types` then filters the nodes as the walk itself would (the start always
 * stays; an edge is drawn when both its ends remain).
 */
export function restrictToVisible(
  graph: Subgraph,
  start: { type: NodeType; id: number },
  options: { direction: Direction; maxDepth: number; types: readonly NodeType[] | null; isVisible: (key: string) => boolean },
): Subgraph {
  const startKey = nodeKey(start);
  const byKey = new Map(graph.nodes.map((n) => [nodeKey(n), n]));
  const depth = new Map<string, number>([[startKey, 0]]);
  const ways: ('up' | 'down')[] = options.direction === 'UPSTREAM' ? ['up'] : options.direction === 'DOWNSTREAM' ? ['down'] : ['up', 'down'];
  for (const way of ways) {
    // Upstream walks arrive at an edge's `to` end and leave by its `from` end; downstream the reverse.
    const next = new Map<string, string[]>();
    for (const e of graph.edges) {
      const [near, far] = way === 'up' ? [nodeKey(e.to), nodeKey(e.from)] : [nodeKey(e.from), nodeKey(e.to)];
      const list = next.get(near);
      if (list) list.push(far);
      else next.set(near, [far]);
    }
    const seen = new Map<string, number>([[startKey, 0]]);
    let frontier = [startKey];
    for (let d = 1; d <= options.maxDepth && frontier.length; d += 1) {
      const reached: string[] = [];
      for (const key of frontier) {
        if (!options.isVisible(key)) continue; // a redacted node is a leaf
        for (const far of next.get(key) ?? []) {
          if (seen.has(far) || !byKey.has(far)) continue;
          seen.set(far, d);
          reached.push(far);
        }
      }
      frontier = reached;
    }
    for (const [key, d] of seen) depth.set(key, Math.min(depth.get(key) ?? d, d));
  }
  const typeOk = (key: string) => key === startKey || !options.types || options.types.includes(byKey.get(key)!.type);
  const kept = new Set([...depth.keys()].filter((key) => byKey.has(key) && typeOk(key)));
  const nodes: ReachedNode[] = [...kept].map((key) => ({ ...byKey.get(key)!, depth: depth.get(key)! }));
  const edges: LineageEdge[] = graph.edges.filter((e) => {
    const [from, to] = [nodeKey(e.from), nodeKey(e.to)];
    return kept.has(from) && kept.has(to) && (options.isVisible(from) || options.isVisible(to));
  });
  return { nodes, edges };
}

/** Whether a node is a stand-in for a hidden one (see anonymize). */
export function isAnonymized(node: { id: number }): boolean {
  return node.id < 0;
}

/**
 * Replaces each hidden node's id with a stand-in (-1, -2, ... in order of appearance), the same
 * in its edges, so a drawing still connects while neither the real id nor, through edge times
 * (see isAnonymized), when it was linked is revealed.
 */
export function anonymize(graph: Subgraph, isVisible: (key: string) => boolean): Subgraph {
  const standIns = new Map<string, number>();
  const standIn = <T extends { type: NodeType; id: number }>(node: T): T => {
    const key = nodeKey(node);
    if (isVisible(key)) return node;
    let id = standIns.get(key);
    if (id === undefined) standIns.set(key, (id = -(standIns.size + 1)));
    return { ...node, id };
  };
  return { nodes: graph.nodes.map(standIn), edges: graph.edges.map((e) => ({ ...e, from: standIn(e.from), to: standIn(e.to) })) };
}
