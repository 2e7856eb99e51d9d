// The contract every LineageGraph adapter keeps. Run by test/integration/lineage-contract.test.ts
// against PostgreSQL always and against Neo4j when NEO4J_URI is set.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeKind, LineageGraph, NodeRef, NodeType, Subgraph } from '../../src/modules/lineage/graph.js';
import { nodeKey, sortSubgraph } from '../../src/modules/lineage/graph.js';

export interface ContractEdge {
  from: NodeRef;
  to: NodeRef;
  kind: EdgeKind;
  role?: string | null;
  createdAt: Date;
}

export interface LineageGraphUnderTest {
  graph: LineageGraph;
  /** Records edges in the system of record and makes them visible to `graph`. */
  record(edges: readonly ContractEdge[]): Promise<void>;
  close(): Promise<void>;
}

// Each test draws its node ids from a fresh range, so tests share one database without resets.
function nodes() {
  const base = randomInt(1, 2_000_000) * 1000;
  const n = (type: NodeType, offset: number): NodeRef => ({ type, id: base + offset });
  return { n };
}

const T0 = Date.parse('2026-08-01T00:00:00Z');
const t = (minutes: number) => new Date(T0 + minutes * 60_000);

function keys(graph: Subgraph) {
  return sortSubgraph(graph).nodes.map((node) => `${nodeKey(node)}@${node.depth}`);
}

function edgeKeys(graph: Subgraph) {
  return sortSubgraph(graph).edges.map((e) => `${nodeKey(e.from)}-${e.kind}->${nodeKey(e.to)}`);
}

export function lineageGraphContract(name: string, open: () => Promise<LineageGraphUnderTest>) {
  describe(`LineageGraph contract: ${name}`, () => {
    let sut: LineageGraphUnderTest;
    beforeAll(async () => {
      sut = await open();
    });
    afterAll(async () => {
      await sut?.close();
    });

    /** d1 -DERIVED_INTO-> d2 -INPUT_TO-> run -PRODUCED-> art -REGISTERED_AS-> mv -INPUT_TO-> ft -PRODUCED-> art2 -REGISTERED_AS-> mv2, commit -INPUT_TO-> run */
    async function chain() {
      const { n } = nodes();
      const g = {
        d1: n('DatasetVersion', 1),
        d2: n('DatasetVersion', 2),
        commit: n('CodeCommit', 3),
        run: n('Run', 4),
        art: n('Artifact', 5),
        mv: n('ModelVersion', 6),
        ft: n('Run', 7),
        art2: n('Artifact', 8),
        mv2: n('ModelVersion', 9),
      };
      await sut.record([
        { from: g.d1, to: g.d2, kind: 'DERIVED_INTO', createdAt: t(1) },
        { from: g.d2, to: g.run, kind: 'INPUT_TO', role: 'train', createdAt: t(2) },
        { from: g.commit, to: g.run, kind: 'INPUT_TO', createdAt: t(2) },
        { from: g.run, to: g.art, kind: 'PRODUCED', createdAt: t(3) },
        { from: g.art, to: g.mv, kind: 'REGISTERED_AS', createdAt: t(4) },
        { from: g.mv, to: g.ft, kind: 'INPUT_TO', role: 'base', createdAt: t(10) },
        { from: g.ft, to: g.art2, kind: 'PRODUCED', createdAt: t(11) },
        { from: g.art2, to: g.mv2, kind: 'REGISTERED_AS', createdAt: t(12) },
      ]);
      return g;
    }

    it('walks upstream against the arrows with the fewest hops per node', async () => {
      const g = await chain();
      const [up] = await sut.graph.traverse([g.mv2], { direction: 'UPSTREAM', depth: 10 });
      expect(keys(up!)).toEqual(
        sortSubgraph({
          nodes: [
            { ...g.mv2, depth: 0 },
            { ...g.art2, depth: 1 },
            { ...g.ft, depth: 2 },
            { ...g.mv, depth: 3 },
            { ...g.art, depth: 4 },
            { ...g.run, depth: 5 },
            { ...g.d2, depth: 6 },
            { ...g.commit, depth: 6 },
            { ...g.d1, depth: 7 },
          ],
          edges: [],
        }).nodes.map((node) => `${nodeKey(node)}@${node.depth}`),
      );
      expect(up!.edges).toHaveLength(8);
      const input = up!.edges.find((e) => e.kind === 'INPUT_TO' && e.from.type === 'DatasetVersion');
      expect(input).toMatchObject({ from: g.d2, to: g.run, role: 'train' });
      expect(input!.createdAt.toISOString()).toBe(t(2).toISOString());
    });

    it('walks downstream along the arrows and stops at the depth asked', async () => {
      const g = await chain();
      const [down] = await sut.graph.traverse([g.d1], { direction: 'DOWNSTREAM', depth: 3 });
      expect(keys(down!)).toEqual([`${nodeKey(g.d1)}@0`, `${nodeKey(g.d2)}@1`, `${nodeKey(g.run)}@2`, `${nodeKey(g.art)}@3`]);
      expect(edgeKeys(down!)).toHaveLength(3);
    });

    it('returns the start alone at depth 0', async () => {
      const g = await chain();
      const [only] = await sut.graph.traverse([g.run], { direction: 'BOTH', depth: 0 });
      expect(only).toEqual({ nodes: [{ ...g.run, depth: 0 }], edges: [] });
    });

    it('walks both ways from the middle', async () => {
      const g = await chain();
      const [both] = await sut.graph.traverse([g.run], { direction: 'BOTH', depth: 1 });
      expect(keys(both!).sort()).toEqual([`${nodeKey(g.art)}@1`, `${nodeKey(g.commit)}@1`, `${nodeKey(g.d2)}@1`, `${nodeKey(g.run)}@0`].sort());
      expect(both!.edges).toHaveLength(3);
    });

    it('shows the graph as it stood at an instant', async () => {
      const g = await chain();
      const [before] = await sut.graph.traverse([g.d1], { direction: 'DOWNSTREAM', depth: 20, at: t(5) });
      expect(keys(before!).map((k) => k.split('@')[0])).toEqual([g.d1, g.d2, g.run, g.art, g.mv].map(nodeKey));
      const [after] = await sut.graph.traverse([g.d1], { direction: 'DOWNSTREAM', depth: 20, at: t(60) });
      expect(after!.nodes).toHaveLength(8);
      const [never] = await sut.graph.traverse([g.d1], { direction: 'DOWNSTREAM', depth: 20, at: t(0) });
      expect(never!.nodes).toEqual([{ ...g.d1, depth: 0 }]);
    });

    it('returns only the types asked for, with the edges between them', async () => {
      const g = await chain();
      const [models] = await sut.graph.traverse([g.d1], { direction: 'DOWNSTREAM', depth: 20, types: ['ModelVersion', 'DatasetVersion'] });
      expect(
        keys(models!)
          .map((k) => k.split('@')[0])
          .sort(),
      ).toEqual([g.d1, g.d2, g.mv, g.mv2].map(nodeKey).sort());
      expect(edgeKeys(models!)).toEqual([`${nodeKey(g.d1)}-DERIVED_INTO->${nodeKey(g.d2)}`]);
    });

    it('terminates on a cycle and draws every edge of it', async () => {
      const { n } = nodes();
      const [a, b, c] = [n('DatasetVersion', 1), n('DatasetVersion', 2), n('DatasetVersion', 3)];
      await sut.record([
        { from: a, to: b, kind: 'DERIVED_INTO', createdAt: t(1) },
        { from: b, to: c, kind: 'DERIVED_INTO', createdAt: t(1) },
        { from: c, to: a, kind: 'DERIVED_INTO', createdAt: t(1) },
      ]);
      for (const direction of ['UPSTREAM', 'DOWNSTREAM', 'BOTH'] as const) {
        const [graph] = await sut.graph.traverse([a], { direction, depth: 50 });
        expect(graph!.nodes, direction).toHaveLength(3);
        expect(graph!.edges, direction).toHaveLength(3);
      }
      const [down] = await sut.graph.traverse([a], { direction: 'DOWNSTREAM', depth: 50 });
      expect(keys(down!)).toEqual([`${nodeKey(a)}@0`, `${nodeKey(b)}@1`, `${nodeKey(c)}@2`]);
      expect(await sut.graph.reach([a], { direction: 'DOWNSTREAM', targetType: 'DatasetVersion' })).toEqual([a, b, c]);
    });

    it('keeps one node per diamond corner and every edge', async () => {
      const { n } = nodes();
      const [top, left, right, bottom] = [n('DatasetVersion', 1), n('Run', 2), n('Run', 3), n('Artifact', 4)];
      await sut.record([
        { from: top, to: left, kind: 'INPUT_TO', createdAt: t(1) },
        { from: top, to: right, kind: 'INPUT_TO', createdAt: t(1) },
        { from: left, to: bottom, kind: 'PRODUCED', createdAt: t(2) },
        { from: right, to: bottom, kind: 'PRODUCED', createdAt: t(2) },
      ]);
      const [graph] = await sut.graph.traverse([top], { direction: 'DOWNSTREAM', depth: 5 });
      expect(keys(graph!)).toEqual([`${nodeKey(top)}@0`, `${nodeKey(left)}@1`, `${nodeKey(right)}@1`, `${nodeKey(bottom)}@2`]);
      expect(graph!.edges).toHaveLength(4);
    });

    it('answers many starts at once, each with its own graph, in order', async () => {
      const g = await chain();
      const { n } = nodes();
      const lonely = n('Run', 99);
      const graphs = await sut.graph.traverse([g.mv, lonely, g.d1], { direction: 'UPSTREAM', depth: 2 });
      expect(graphs).toHaveLength(3);
      expect(keys(graphs[0]!)).toEqual([`${nodeKey(g.mv)}@0`, `${nodeKey(g.art)}@1`, `${nodeKey(g.run)}@2`]);
      expect(graphs[1]).toEqual({ nodes: [{ ...lonely, depth: 0 }], edges: [] });
      expect(keys(graphs[2]!)).toEqual([`${nodeKey(g.d1)}@0`]);
      expect(await sut.graph.traverse([], { direction: 'BOTH', depth: 3 })).toEqual([]);
    });

    it('finds a shortest directed path, as of an instant', async () => {
      const g = await chain();
      const path = await sut.graph.path(g.d1, g.mv2, { maxDepth: 50 });
      expect(path!.nodes.map(nodeKey)).toEqual([g.d1, g.d2, g.run, g.art, g.mv, g.ft, g.art2, g.mv2].map(nodeKey));
      expect(path!.edges.map((e) => e.kind)).toEqual(['DERIVED_INTO', 'INPUT_TO', 'PRODUCED', 'REGISTERED_AS', 'INPUT_TO', 'PRODUCED', 'REGISTERED_AS']);
      expect(await sut.graph.path(g.mv2, g.d1, { maxDepth: 50 })).toBeNull(); // against the arrows
      expect(await sut.graph.path(g.d1, g.mv2, { maxDepth: 50, at: t(5) })).toBeNull(); // fine-tuning came later
      expect(await sut.graph.path(g.d1, g.mv2, { maxDepth: 3 })).toBeNull();
      expect((await sut.graph.path(g.commit, g.mv, { maxDepth: 50 }))!.edges).toHaveLength(3);
    });

    it('reaches nodes of one type from several starts, at any distance, as of an instant', async () => {
      const g = await chain();
      expect(await sut.graph.reach([g.d1], { direction: 'DOWNSTREAM', targetType: 'ModelVersion' })).toEqual([g.mv, g.mv2]);
      expect(await sut.graph.reach([g.d1, g.commit], { direction: 'DOWNSTREAM', targetType: 'ModelVersion', at: t(5) })).toEqual([g.mv]);
      expect(await sut.graph.reach([g.mv2], { direction: 'UPSTREAM', targetType: 'DatasetVersion' })).toEqual([g.d1, g.d2]);
      expect(await sut.graph.reach([g.mv2], { direction: 'DOWNSTREAM', targetType: 'DatasetVersion' })).toEqual([]);
      expect(await sut.graph.reach([], { direction: 'DOWNSTREAM', targetType: 'Run' })).toEqual([]);
    });
  });
}
