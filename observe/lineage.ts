import type { Pool } from 'pg';
import { VIEW_READS_SQL } from '../db/view-reads';

/** One edge of the lineage graph: `model` selects from `source`. */
export interface LineageEdge {
  source: string;
  model: string;
}

/**
 * The graph raw → staging → intermediate → marts as the database itself records it
 * (pg_depend on the views' rewrite rules), so it can never drift from the SQL.
 * An incremental model's query is its source view (in the engine schema, or beside the
 * model in a database not yet built by this version: transform/source-views.ts), which
 * its table is filled from: the graph shows it as the model itself, by the name
 * elt.models.source_view records (read through elt_observe.models, which readers may read).
 */
export async function readLineage(pool: Pool): Promise<LineageEdge[]> {
  const { rows } = await pool.query<LineageEdge>(
    `with
     view_reads as (${VIEW_READS_SQL}),
     source_views as (
         select m.name as model, m.source_view from elt_observe.models as m where m.source_view is not null
     ),
     edges as (
         select r.source_schema || '.' || r.source_name as source,
                coalesce(s.model, r.view_schema || '.' || r.view_name) as model,
                r.view_schema, s.model is not null as is_source_view
           from view_reads as r
           left join source_views as s on s.source_view = r.view_schema || '.' || r.view_name
     )
     select distinct source, model
       from edges
      where view_schema in ('staging', 'intermediate', 'marts') or is_source_view
      order by 2, 1`,
  );
  return rows;
}

/**
 * The graph as text: one line per model, with what it reads; an orphan (`orphaned`: its
 * file is gone) is marked, and a model `marks` names gets its mark (an environment's: observe/environment-lineage.ts).
 */
export function formatLineageText(
  edges: LineageEdge[],
  orphaned: ReadonlySet<string> = new Set(),
  marks: ReadonlyMap<string, string> = new Map(),
): string {
  const models = [...new Set(edges.map((edge) => edge.model))];
  const layer = (name: string) => ['raw', 'elt', 'staging', 'intermediate', 'marts'].indexOf(name.split('.')[0] ?? '');
  models.sort((a, b) => layer(a) - layer(b) || a.localeCompare(b));
  return `${models
    .map(
      (model) =>
        `${model}${marks.get(model) ?? ''}${orphaned.has(model) ? ' (orphaned: no model file)' : ''} <- ${edges
          .filter((edge) => edge.model === model)
          .map((edge) => edge.source)
          .join(', ')}`,
    )
    .join('\n')}\n`;
}

/** The graph as a Mermaid flowchart (paste into a README or any Mermaid viewer); an orphan's label says so, a marked model's has its mark. */
export function formatLineageMermaid(
  edges: LineageEdge[],
  orphaned: ReadonlySet<string> = new Set(),
  marks: ReadonlyMap<string, string> = new Map(),
): string {
  const nodes = [...new Set(edges.flatMap((edge) => [edge.source, edge.model]))].sort();
  const id = (name: string) => name.replace('.', '_');
  const schemas = [...new Set(nodes.map((name) => name.split('.')[0] as string))];
  const lines = ['flowchart LR'];
  for (const schema of ['raw', 'elt', 'staging', 'intermediate', 'marts'].filter((name) => schemas.includes(name))) {
    lines.push(`  subgraph ${schema}`);
    for (const node of nodes.filter((name) => name.startsWith(`${schema}.`)))
      lines.push(`    ${id(node)}["${node}${marks.get(node) ?? ''}${orphaned.has(node) ? ' (orphaned)' : ''}"]`);
    lines.push('  end');
  }
  for (const edge of edges) lines.push(`  ${id(edge.source)} --> ${id(edge.model)}`);
  return `${lines.join('\n')}\n`;
}
