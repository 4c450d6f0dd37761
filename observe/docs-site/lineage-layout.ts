import dagre from '@dagrejs/dagre';
import type { LineageEdge } from '../lineage';
import { fitLabel, type FittedLabel } from './node-label';

/** Height of a box, and the room around a label inside it. */
export const NODE_HEIGHT = 30;
export const LABEL_PAD = 10;
const RANK_GAP = 56;
const NODE_GAP = 14;
const MARGIN = 10;

export interface Point {
  x: number;
  y: number;
}

/** A relation's box: top-left corner, size, and the label drawn in it. */
export interface LaidOutNode {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  label: FittedLabel;
}

export interface LaidOutEdge extends LineageEdge {
  /** from the source box's right side to the model box's left side */
  points: Point[];
}

export interface LineageLayout {
  width: number;
  height: number;
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
}

/**
 * The lineage graph laid out in layers, left to right, by dagre (a Sugiyama layered
 * layout: rank, order to cut crossings, place): each relation sits one layer right of
 * the furthest thing it reads, so every edge runs forward, and each box is as wide
 * as its label (in the bundled font's widths). Runs in Node when the site is written:
 * the page gets a static SVG and no layout library.
 */
export function layoutLineage(names: string[], edges: LineageEdge[]): LineageLayout {
  const graph = new dagre.graphlib.Graph<Record<string, unknown>, { width: number; height: number; label: FittedLabel }>({ multigraph: false });
  graph.setGraph({ rankdir: 'LR', ranksep: RANK_GAP, nodesep: NODE_GAP, marginx: MARGIN, marginy: MARGIN, ranker: 'network-simplex' });
  graph.setDefaultEdgeLabel(() => ({}));
  const all = [...new Set([...names, ...edges.flatMap((edge) => [edge.source, edge.model])])].sort();
  // dagre keys its nodes in plain objects: it is given `n<index>`, never a name (a relation may be called __proto__)
  const idOf = new Map(all.map((name, index) => [name, `n${index}`]));
  const id = (name: string): string => idOf.get(name) as string;
  for (const name of all) {
    const label = fitLabel(name);
    graph.setNode(id(name), { width: Math.ceil(label.width + 2 * LABEL_PAD), height: NODE_HEIGHT, label });
  }
  const drawn = edges.filter((edge) => edge.source !== edge.model);
  for (const edge of drawn) graph.setEdge(id(edge.source), id(edge.model));
  dagre.layout(graph);

  const nodes: LaidOutNode[] = all.map((name) => {
    const node = graph.node(id(name)) as { x: number; y: number; width: number; height: number; label: FittedLabel };
    return { name, x: node.x - node.width / 2, y: node.y - node.height / 2, width: node.width, height: node.height, label: node.label };
  });
  const at = new Map(nodes.map((node) => [node.name, node]));
  const laidOutEdges: LaidOutEdge[] = drawn.map((edge) => {
    const from = at.get(edge.source) as LaidOutNode;
    const to = at.get(edge.model) as LaidOutNode;
    // dagre's bends (one per layer crossed), between ends set on the boxes' sides
    const bends = ((graph.edge(id(edge.source), id(edge.model)) as { points?: Point[] }).points ?? []).slice(1, -1);
    return {
      ...edge,
      points: [{ x: from.x + from.width, y: from.y + from.height / 2 }, ...bends, { x: to.x, y: to.y + to.height / 2 }],
    };
  });
  const size = graph.graph() as { width?: number; height?: number };
  return { width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0), nodes, edges: laidOutEdges };
}
