// A lineage graph drawn left to right: dagre computes a layered layout, SVG draws it. Nothing
// here knows the node types: each node brings its type, label and marks, and colors come
// from a table with a stable fallback for types added later.
import { Graph, layout } from '@dagrejs/dagre';
import { useMemo } from 'react';

export interface DagNode {
  id: string;
  type: string;
  label: string;
  start?: boolean;
  /** e.g. "quarantined", "downstream", "redacted" */
  marks: string[];
  badges?: string[];
}
export interface DagEdge {
  from: string;
  to: string;
  kind: string;
}

const TYPE_COLORS: Record<string, string> = {
  DATASET_VERSION: '#0891b2',
  RUN: '#4f46e5',
  ARTIFACT: '#64748b',
  MODEL_VERSION: '#059669',
  CODE_COMMIT: '#d97706',
};

export function typeColor(type: string): string {
  const known = TYPE_COLORS[type];
  if (known) return known;
  let h = 0;
  for (const ch of type) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h} 55% 45%)`;
}

export const typeName = (type: string) => type.toLowerCase().replace(/_/g, ' ');

const NODE_W = 224;
const NODE_H = 50;

export function Dag({ nodes, edges, onOpen }: { nodes: DagNode[]; edges: DagEdge[]; onOpen: (node: DagNode) => void }) {
  const drawn = useMemo(() => {
    const g = new Graph({ multigraph: true });
    g.setGraph({ rankdir: 'LR', nodesep: 22, ranksep: 96, marginx: 16, marginy: 16 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
    const ids = new Set(nodes.map((n) => n.id));
    edges.forEach((e, i) => {
      if (ids.has(e.from) && ids.has(e.to)) g.setEdge(e.from, e.to, {}, String(i));
    });
    layout(g);
    const graph = g.graph();
    return {
      width: Math.max(200, graph.width ?? 0),
      height: Math.max(80, graph.height ?? 0),
      nodes: nodes.map((n) => ({ node: n, x: g.node(n.id).x, y: g.node(n.id).y })),
      edges: g.edges().map((e) => ({ e, kind: edges[Number(e.name)]!.kind, points: g.edge(e).points ?? [] })),
    };
  }, [nodes, edges]);

  return (
    <div className="dag-scroll">
      <svg width={drawn.width} height={drawn.height} className="dag" data-testid="lineage-graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#94a3b8" />
          </marker>
        </defs>
        {drawn.edges.map(({ e, kind, points }) => {
          const d = points.map((p: { x: number; y: number }, i: number) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
          const mid = points[Math.floor(points.length / 2)];
          return (
            <g key={`${e.v}-${e.w}-${e.name}`} className="dag-edge">
              <path d={d} markerEnd="url(#arrow)" />
              {mid && (
                <text x={mid.x} y={mid.y - 5} textAnchor="middle">
                  {kind.toLowerCase().replace(/_/g, ' ')}
                </text>
              )}
            </g>
          );
        })}
        {drawn.nodes.map(({ node, x, y }) => {
          const color = typeColor(node.type);
          return (
            <g
              key={node.id}
              transform={`translate(${x - NODE_W / 2},${y - NODE_H / 2})`}
              className={`dag-node ${node.marks.join(' ')} ${node.start ? 'start' : ''}`}
              onClick={() => onOpen(node)}
              data-testid="lineage-node"
              data-node-id={node.id}
              data-node-type={node.type}
              data-marks={node.marks.join(' ')}
              role="link"
            >
              <title>{`${typeName(node.type)}: ${node.label}${node.marks.length ? ` (${node.marks.join(', ')})` : ''}`}</title>
              <rect width={NODE_W} height={NODE_H} rx={8} className="dag-box" />
              <rect width={5} height={NODE_H} rx={2} fill={color} />
              <text x={14} y={19} className="dag-type" fill={color}>
                {typeName(node.type)}
                {node.marks.includes('quarantined') ? ' · quarantined' : node.marks.includes('downstream') ? ' · tainted' : ''}
              </text>
              <text x={14} y={37} className="dag-label">
                {node.label.length > 28 ? `${node.label.slice(0, 27)}…` : node.label}
              </text>
              {node.badges?.map((b, i) => (
                <g key={b} transform={`translate(${NODE_W - 8 - (i + 1) * 64},${-9})`}>
                  <rect width={60} height={17} rx={8} className="dag-badge" />
                  <text x={30} y={12} textAnchor="middle" className="dag-badge-text">
                    {b.length > 9 ? `${b.slice(0, 8)}…` : b}
                  </text>
                </g>
              ))}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
