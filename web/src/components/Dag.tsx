// A lineage graph drawn left to right: dagre computes a layered layout, SVG draws it. Nothing
// here knows the node types: each node brings its type, label and marks, and colors come
// from a table with a stable fallback for types added later. A label is never cut: it wraps
// (the node grows taller) and a node widens for a long word, badges are as wide as their
// text, and edge labels are laid out by dagre as part of the graph, so they sit clear of nodes.
import { Graph, layout } from '@dagrejs/dagre';
import { useMemo } from 'react';
import { wrapLabel } from '../text';

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

const MIN_W = 180;
const MAX_W = 320;
const PAD_X = 14;
const LINE_H = 16;
const LABEL_CHAR = 7.4; // px per character of the 13px label font, generously
const BADGE_CHAR = 6.3; // of the 10.5px badge font
const EDGE_CHAR = 5.8; // of the 10px edge label font

function nodeBox(n: DagNode) {
  const badgeWidth = (n.badges ?? []).reduce((w, b) => w + b.length * BADGE_CHAR + 18, 0);
  // Wide enough for the label in up to three lines, and for the badges along the top edge.
  const width = Math.min(MAX_W, Math.max(MIN_W, Math.ceil((n.label.length * LABEL_CHAR) / 3) + 2 * PAD_X, badgeWidth + 24));
  const lines = wrapLabel(n.label, Math.floor((width - 2 * PAD_X) / LABEL_CHAR));
  return { width, height: 32 + lines.length * LINE_H, lines };
}

export function Dag({ nodes, edges, onOpen }: { nodes: DagNode[]; edges: DagEdge[]; onOpen: (node: DagNode) => void }) {
  const drawn = useMemo(() => {
    const g = new Graph({ multigraph: true });
    // Edge labels are laid out as nodes of their own between the ranks, so ranksep counts twice per link.
    g.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 30, edgesep: 14, marginx: 16, marginy: 24 });
    g.setDefaultEdgeLabel(() => ({}));
    const boxes = new Map(nodes.map((n) => [n.id, nodeBox(n)]));
    for (const n of nodes) g.setNode(n.id, { width: boxes.get(n.id)!.width, height: boxes.get(n.id)!.height });
    const ids = new Set(nodes.map((n) => n.id));
    edges.forEach((e, i) => {
      const text = e.kind.toLowerCase().replace(/_/g, ' ');
      if (ids.has(e.from) && ids.has(e.to)) g.setEdge(e.from, e.to, { text, width: text.length * EDGE_CHAR + 8, height: 14, labelpos: 'c' }, String(i));
    });
    layout(g);
    const graph = g.graph();
    return {
      width: Math.max(200, graph.width ?? 0),
      height: Math.max(80, graph.height ?? 0),
      nodes: nodes.map((n) => ({ node: n, x: g.node(n.id).x, y: g.node(n.id).y, ...boxes.get(n.id)! })),
      edges: g.edges().map((e) => {
        const edge = g.edge(e) as { points?: { x: number; y: number }[]; x?: number; y?: number; text: string; width: number };
        return { e, text: edge.text, points: edge.points ?? [], x: edge.x ?? 0, y: edge.y ?? 0, width: edge.width };
      }),
    };
  }, [nodes, edges]);

  return (
    <div className="dag-scroll">
      <svg width={drawn.width} height={drawn.height} className="dag" data-testid="lineage-graph">
        <title>Lineage graph</title>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#94a3b8" />
          </marker>
        </defs>
        {drawn.edges.map(({ e, text, points, x, y, width }) => {
          const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
          return (
            <g key={`${e.v}-${e.w}-${e.name}`} className="dag-edge">
              <path d={d} markerEnd="url(#arrow)" />
              <g className="dag-edge-label" data-testid="edge-label">
                <rect x={x - width / 2} y={y - 8} width={width} height={15} rx={4} />
                <text x={x} y={y + 3} textAnchor="middle">
                  {text}
                </text>
              </g>
            </g>
          );
        })}
        {drawn.nodes.map(({ node, x, y, width, height, lines }) => {
          const color = typeColor(node.type);
          let badgeX = width - 8;
          return (
            // biome-ignore lint/a11y/useSemanticElements: an SVG node opened through onOpen (the page decides where it goes), not an HTML <a> with an href
            <g
              key={node.id}
              transform={`translate(${x - width / 2},${y - height / 2})`}
              className={`dag-node ${node.marks.join(' ')} ${node.start ? 'start' : ''}`}
              onClick={() => onOpen(node)}
              data-testid="lineage-node"
              data-node-id={node.id}
              data-node-type={node.type}
              data-marks={node.marks.join(' ')}
              role="link"
            >
              <title>{`${typeName(node.type)}: ${node.label}${node.marks.length ? ` (${node.marks.join(', ')})` : ''}`}</title>
              <rect width={width} height={height} rx={8} className="dag-box" />
              <rect width={5} height={height} rx={2} fill={color} />
              <text x={PAD_X} y={19} className="dag-type" fill={color}>
                {typeName(node.type)}
                {node.marks.includes('quarantined') ? ' · quarantined' : node.marks.includes('downstream') ? ' · tainted' : ''}
              </text>
              <text x={PAD_X} y={37} className="dag-label" data-testid="node-label">
                {lines.map((line, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: the wrapped lines of one label, fixed for the node and never reordered
                  <tspan key={i} x={PAD_X} dy={i === 0 ? 0 : LINE_H}>
                    {line}
                  </tspan>
                ))}
              </text>
              {node.badges?.map((b) => {
                const w = b.length * BADGE_CHAR + 14;
                badgeX -= w + 4;
                return (
                  <g
                    key={b}
                    transform={`translate(${badgeX + 4},${-10})`}
                    className={`dag-badge-group ${b === 'production' ? 'prod' : ''}`}
                    data-testid="node-badge"
                  >
                    <rect width={w} height={18} rx={9} className="dag-badge" />
                    <text x={w / 2} y={12.5} textAnchor="middle" className="dag-badge-text">
                      {b}
                    </text>
                  </g>
                );
              })}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
