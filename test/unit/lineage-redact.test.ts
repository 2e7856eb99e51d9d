// Cutting a walked lineage graph at the nodes a caller may not see.
import { describe, expect, it } from 'vitest';
import type { LineageEdge, NodeRef, NodeType, ReachedNode, Subgraph } from '../../src/modules/lineage/graph.js';
import { restrictToVisible } from '../../src/modules/lineage/redact.js';

const n = (type: NodeType, id: number, depth: number): ReachedNode => ({ type, id, depth });
const e = (from: NodeRef, to: NodeRef): LineageEdge => ({ from, to, kind: 'INPUT_TO', role: null, createdAt: new Date(0) });
const key = (x: NodeRef) => `${x.type}:${x.id}`;

describe('restrictToVisible', () => {
  const start = n('Run', 1, 0);
  const hidden = n('DatasetVersion', 9, 1);
  const behind = n('Run', 8, 2);
  const visibleBehind = n('DatasetVersion', 3, 2);
  const mine = n('DatasetVersion', 2, 1);
  // Upstream of run 1: dataset 2 (visible) and dataset 9 (hidden); run 8 (hidden) produced 9, and
  // dataset 3 (visible) is upstream of both dataset 2 (2 hops) and run 8.
  const graph: Subgraph = {
    nodes: [start, mine, hidden, behind, visibleBehind],
    edges: [e(mine, start), e(hidden, start), e(behind, hidden), e(visibleBehind, behind), e(visibleBehind, mine)],
  };
  const visible = new Set([start, mine, visibleBehind].map(key));
  const isVisible = (k: string) => visible.has(k);

  it('keeps hidden nodes next to visible ones as leaves and drops what lies only behind them', () => {
    const cut = restrictToVisible({ ...graph, edges: graph.edges.filter((x) => x.to.type !== 'DatasetVersion' || x.to.id !== 2) }, start, {
      direction: 'UPSTREAM',
      maxDepth: 10,
      types: null,
      isVisible,
    });
    expect(cut.nodes.map(key).sort()).toEqual(['DatasetVersion:2', 'DatasetVersion:9', 'Run:1']);
    expect(cut.edges.map((x) => `${key(x.from)}>${key(x.to)}`).sort()).toEqual(['DatasetVersion:2>Run:1', 'DatasetVersion:9>Run:1']);
  });

  it('reaches a visible node by a visible path, with its depth along that path, within the depth limit', () => {
    const cut = restrictToVisible(graph, start, { direction: 'UPSTREAM', maxDepth: 10, types: null, isVisible });
    expect(cut.nodes.find((x) => x.type === 'DatasetVersion' && x.id === 3)?.depth).toBe(2);
    expect(cut.nodes.some((x) => x.type === 'Run' && x.id === 8)).toBe(false);
    // The edge between two kept nodes where one is hidden (3 -> 8) is gone with 8; 3 -> 2 stays.
    expect(cut.edges.map((x) => `${key(x.from)}>${key(x.to)}`)).toContain('DatasetVersion:3>DatasetVersion:2');
    const shallow = restrictToVisible(graph, start, { direction: 'UPSTREAM', maxDepth: 1, types: null, isVisible });
    expect(shallow.nodes.map(key).sort()).toEqual(['DatasetVersion:2', 'DatasetVersion:9', 'Run:1']);
  });

  it('walks both ways for BOTH, and applies a types filter after the cut', () => {
    const down = n('Artifact', 5, 1);
    const both = restrictToVisible({ nodes: [...graph.nodes, down], edges: [...graph.edges, e(start, down)] }, start, {
      direction: 'BOTH',
      maxDepth: 10,
      types: ['DatasetVersion'],
      isVisible: (k) => isVisible(k) || k === 'Artifact:5',
    });
    expect(both.nodes.map(key).sort()).toEqual(['DatasetVersion:2', 'DatasetVersion:3', 'DatasetVersion:9', 'Run:1']);
    expect(both.edges.every((x) => x.from.type !== 'Artifact' && x.to.type !== 'Artifact')).toBe(true);
  });

  it('drops an edge between two hidden nodes', () => {
    const h2 = n('Run', 7, 1);
    const cut = restrictToVisible({ nodes: [start, hidden, h2], edges: [e(hidden, start), e(h2, start), e(h2, hidden)] }, start, {
      direction: 'UPSTREAM',
      maxDepth: 10,
      types: null,
      isVisible: (k) => k === 'Run:1',
    });
    expect(cut.nodes).toHaveLength(3);
    expect(cut.edges).toHaveLength(2);
  });
});
