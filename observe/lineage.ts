import type { Pool } from 'pg';
import { VIEW_READS_SQL } from '../db/view-reads';
import { SOURCE_VIEW_SUFFIX } from '../transform/model-catalog';

/** One edge of the lineage graph: `model` selects from `source`. */
export interface LineageEdge {
  source: string;
  model: string;
}

/**
 * The graph raw → staging → intermediate → marts as the database itself records it
 * (pg_depend on the views' rewrite rules), so it can never drift from the SQL.
 * An incremental model's query is its source view (`sourceViewOf` in model-catalog.ts),
 * which its table is filled from: the graph shows it as the model itself.
 */
export async function readLineage(pool: Pool): Promise<LineageEdge[]> {
  const { rows } = await pool.query<LineageEdge>(
    `with
     view_reads as (${VIEW_READS_SQL})
     select distinct
            source_schema || '.' || regexp_replace(source_name, $1, '') as source,
            view_schema || '.' || regexp_replace(view_name, $1, '') as model
       from view_reads
      where view_schema in ('staging', 'intermediate', 'marts')
      order by 2, 1`,
    [`${SOURCE_VIEW_SUFFIX}$`],
  );
  return rows;
}

/** The graph as text: one line per model, with what it reads; an orphan (`orphaned`: its file is gone) is marked. */
export function formatLineageText(edges: LineageEdge[], orphaned: ReadonlySet<string> = new Set()): string {
  const models = [...new Set(edges.map((edge) => edge.model))];
  const layer = (name: string) => ['raw', 'elt', 'staging', 'intermediate', 'marts'].indexOf(name.split('.')[0] ?? '');
  models.sort((a, b) => layer(a) - layer(b) || a.localeCompare(b));
  return `${models
    .map(
      (model) =>
        `${model}${orphaned.has(model) ? ' (orphaned: no model file)' : ''} <- ${edges
          .filter((edge) => edge.model === model)
          .map((edge) => edge.source)
          .join(', ')}`,
    )
    .join('\n')}\n`;
}

/** The graph as a Mermaid flowchart (paste into a README or any Mermaid viewer); an orphan's label says so. */
export function formatLineageMermaid(edges: LineageEdge[], orphaned: ReadonlySet<string> = new Set()): string {
  const nodes = [...new Set(edges.flatMap((edge) => [edge.source, edge.model]))].sort();
  const id = (name: string) => name.replace('.', '_');
  const schemas = [...new Set(nodes.map((name) => name.split('.')[0] as string))];
  const lines = ['flowchart LR'];
  for (const schema of ['raw', 'elt', 'staging', 'intermediate', 'marts'].filter((name) => schemas.includes(name))) {
    lines.push(`  subgraph ${schema}`);
    for (const node of nodes.filter((name) => name.startsWith(`${schema}.`)))
      lines.push(`    ${id(node)}["${node}${orphaned.has(node) ? ' (orphaned)' : ''}"]`);
    lines.push('  end');
  }
  for (const edge of edges) lines.push(`  ${id(edge.source)} --> ${id(edge.model)}`);
  return `${lines.join('\n')}\n`;
}
