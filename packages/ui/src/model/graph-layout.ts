// Positions for the service map: dagre's layered layout, left to right (callers before callees).
import dagre from '@dagrejs/dagre';

export interface LaidOutNode<N> {
  id: string;
  data: N;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidOutEdge<E> {
  from: string;
  to: string;
  data: E;
  points: { x: number; y: number }[];
}

export interface GraphLayout<N, E> {
  nodes: LaidOutNode<N>[];
  edges: LaidOutEdge<E>[];
  width: number;
  height: number;
}

export function layoutGraph<N, E>(
  nodes: { id: string; data: N; width: number; height: number }[],
  edges: { from: string; to: string; data: E }[],
): GraphLayout<N, E> {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 90, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const e of edges)
    if (e.from !== e.to) g.setEdge(e.from, e.to, { width: 80, height: 16, labelpos: 'c' });
  dagre.layout(g);
  const graph = g.graph();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return {
    nodes: g.nodes().map((id) => {
      const p = g.node(id);
      const n = byId.get(id)!;
      return { id, data: n.data, x: p.x, y: p.y, width: n.width, height: n.height };
    }),
    edges: edges
      .filter((e) => e.from !== e.to)
      .map((e) => ({
        ...e,
        points: (g.edge(e.from, e.to)?.points ?? []).map((p: { x: number; y: number }) => ({
          x: p.x,
          y: p.y,
        })),
      })),
    width: graph.width ?? 0,
    height: graph.height ?? 0,
  };
}
