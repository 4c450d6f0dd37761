import type { LineageEdge } from '../lineage';
import { escapeHtml } from './html';
import { LABEL_PAD, layoutLineage, type Point } from './lineage-layout';

/** A graph wider than its box is drawn smaller, down to this scale; wider still, it scrolls in its box. */
const MIN_SCALE = 0.75;

/**
 * The most relations one graph draws: the layered layout's time grows faster than the
 * graph (some 0.4 s for 100 relations, 3 s for 300, 35 s for 1000), and a graph that big
 * is not read anyway. A model's page then draws only what it reads and what reads it
 * directly; the overview says how to see the lineage instead.
 */
export const MAX_GRAPH_NODES = 100;

const schemaOf = (name: string): string => name.split('.')[0] ?? '';
const namesOf = (edges: LineageEdge[], nodes: string[]): Set<string> => new Set([...nodes, ...edges.flatMap((edge) => [edge.source, edge.model])]);

/** `focus` and everything upstream and downstream of it (all of the graph without a focus). */
export function neighbourhood(edges: LineageEdge[], focus: string): LineageEdge[] {
  const reach = (from: 'source' | 'model', to: 'source' | 'model'): Set<string> => {
    const seen = new Set([focus]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const edge of edges) {
        if (seen.has(edge[to]) && !seen.has(edge[from])) {
          seen.add(edge[from]);
          grew = true;
        }
      }
    }
    return seen;
  };
  const upstream = reach('source', 'model');
  const downstream = reach('model', 'source');
  return edges.filter(
    (edge) => (upstream.has(edge.model) && upstream.has(edge.source)) || (downstream.has(edge.source) && downstream.has(edge.model)),
  );
}

const LAYERS = new Set(['raw', 'elt', 'staging', 'intermediate', 'marts']);

/** A curve through the points, level where it leaves and enters each one (so it never turns back). */
function curveThrough(points: Point[]): string {
  const [first, ...rest] = points;
  if (!first) return '';
  let d = `M${first.x},${first.y}`;
  let from = first;
  for (const to of rest) {
    const bend = (to.x - from.x) / 2;
    d += ` C${from.x + bend},${from.y} ${to.x - bend},${to.y} ${to.x},${to.y}`;
    from = to;
  }
  return d;
}

/**
 * The lineage graph as an inline SVG, laid out in layers (lineage-layout.ts): a box
 * per relation as wide as its name, a curve per edge, left to right. A box of a model
 * links to its page (`href(name)`); the page's script highlights a box's upstream and
 * downstream on a first click (edges carry data-source and data-model for it).
 * `focus` is drawn highlighted. `id` names the SVG and prefixes its marker's id
 * (several graphs share one page).
 */
export function lineageSvg(
  edges: LineageEdge[],
  options: { id: string; focus?: string; href: (name: string) => string | undefined; nodes?: string[] },
): string {
  const nodes = options.nodes ?? [];
  const focus = options.focus;
  let note = '';
  if (namesOf(edges, nodes).size > MAX_GRAPH_NODES && focus !== undefined) {
    const count = namesOf(edges, nodes).size;
    edges = edges.filter((edge) => edge.source === focus || edge.model === focus);
    note = `<p class="muted">${count} relations upstream and downstream: more than ${MAX_GRAPH_NODES}, so only those it reads and those that read it directly are drawn.</p>`;
  }
  const count = namesOf(edges, nodes).size;
  if (count > MAX_GRAPH_NODES) {
    return `<p class="muted">${count} relations: too many to draw in one graph (at most ${MAX_GRAPH_NODES}). Each model's page draws its own lineage; <code>elt lineage</code> prints it.</p>`;
  }
  const layout = layoutLineage(nodes, edges);
  const parts: string[] = [];
  for (const edge of layout.edges) {
    parts.push(
      `<path class="edge" data-source="${escapeHtml(edge.source)}" data-model="${escapeHtml(edge.model)}" d="${curveThrough(edge.points)}" marker-end="url(#${options.id}-arrow)"/>`,
    );
  }
  for (const node of layout.nodes) {
    const schema = schemaOf(node.name);
    const layer = LAYERS.has(schema) ? schema : 'other';
    const box =
      `<title>${escapeHtml(node.name)}</title>` +
      `<rect class="node ${node.name === options.focus ? 'focus ' : ''}layer-${layer}" x="${node.x}" y="${node.y}" width="${node.width}" height="${node.height}" rx="5"/>` +
      `<text x="${node.x + LABEL_PAD}" y="${node.y + node.height / 2 + 4}" textLength="${node.label.width}" lengthAdjust="spacingAndGlyphs">${escapeHtml(node.label.text)}</text>`;
    const href = options.href(node.name);
    const name = escapeHtml(node.name);
    parts.push(href ? `<a href="${escapeHtml(href)}" data-node="${name}">${box}</a>` : `<g data-node="${name}" tabindex="0">${box}</g>`);
  }
  return (
    note +
    `<svg class="lineage" id="${options.id}" width="${layout.width}" height="${layout.height}" style="min-width: ${Math.round(layout.width * MIN_SCALE)}px" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-label="lineage graph">` +
    `<defs><marker id="${options.id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker></defs>` +
    `${parts.join('')}</svg>`
  );
}
