import type { LineageEdge } from '../lineage';
import { escapeHtml } from './html';

/** Layers left to right: what the models read (raw, elt settings, any other schema) shares the first column. */
const COLUMN_OF: Record<string, number> = { raw: 0, elt: 0, staging: 1, intermediate: 2, marts: 3 };
const NODE_WIDTH = 240;
const NODE_HEIGHT = 30;
const COLUMN_GAP = 50;
const ROW_GAP = 14;
const PAD = 10;

const schemaOf = (name: string): string => name.split('.')[0] ?? '';
const layerOf = (name: string): number => COLUMN_OF[schemaOf(name)] ?? 0;

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

/**
 * The lineage graph as an inline SVG (no library): one column per layer (raw and elt,
 * staging, intermediate, marts), a box per relation, a curve per edge. A box of a
 * model links to its page (`href(name)`); `focus` is drawn highlighted. `id` names the
 * SVG and prefixes its marker's id (several graphs share one page).
 */
export function lineageSvg(
  edges: LineageEdge[],
  options: { id: string; focus?: string; href: (name: string) => string | undefined; nodes?: string[] },
): string {
  const names = [...new Set([...(options.nodes ?? []), ...edges.flatMap((edge) => [edge.source, edge.model])])];
  const columns = [...new Set(names.map(layerOf))].sort((a, b) => a - b);
  const position = new Map<string, { x: number; y: number }>();
  let height = 0;
  columns.forEach((layer, column) => {
    const inLayer = names.filter((name) => layerOf(name) === layer).sort();
    inLayer.forEach((name, row) => {
      const y = PAD + row * (NODE_HEIGHT + ROW_GAP);
      position.set(name, { x: PAD + column * (NODE_WIDTH + COLUMN_GAP), y });
      height = Math.max(height, y + NODE_HEIGHT + PAD);
    });
  });
  const width = PAD * 2 + columns.length * NODE_WIDTH + Math.max(0, columns.length - 1) * COLUMN_GAP;
  const parts: string[] = [];
  for (const edge of edges) {
    const from = position.get(edge.source);
    const to = position.get(edge.model);
    if (!from || !to) continue;
    const x1 = from.x + NODE_WIDTH;
    const y1 = from.y + NODE_HEIGHT / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_HEIGHT / 2;
    const bend = Math.max(30, (x2 - x1) / 2);
    parts.push(`<path class="edge" d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}" marker-end="url(#${options.id}-arrow)"/>`);
  }
  for (const name of names) {
    const at = position.get(name) as { x: number; y: number };
    const layer = schemaOf(name) in COLUMN_OF ? schemaOf(name) : 'other';
    const box =
      `<rect class="node ${name === options.focus ? 'focus' : ''} layer-${layer}" x="${at.x}" y="${at.y}" width="${NODE_WIDTH}" height="${NODE_HEIGHT}" rx="5"/>` +
      `<text x="${at.x + 10}" y="${at.y + NODE_HEIGHT / 2 + 4}">${escapeHtml(name)}</text>`;
    const href = options.href(name);
    parts.push(href ? `<a href="${escapeHtml(href)}" data-node="${escapeHtml(name)}">${box}</a>` : `<g data-node="${escapeHtml(name)}">${box}</g>`);
  }
  return (
    `<svg class="lineage" id="${options.id}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="lineage graph">` +
    `<defs><marker id="${options.id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker></defs>` +
    `${parts.join('')}</svg>`
  );
}
