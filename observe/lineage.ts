import type { Pool } from 'pg';
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
    `select distinct
            source_schema.nspname || '.' || regexp_replace(source.relname, $1, '') as source,
            model_schema.nspname || '.' || regexp_replace(model.relname, $1, '') as model
       from pg_depend as dependency
       join pg_rewrite as rule on rule.oid = dependency.objid
       join pg_class as model on model.oid = rule.ev_class
       join pg_namespace as model_schema on model_schema.oid = model.relnamespace
       join pg_class as source on source.oid = dependency.refobjid
       join pg_namespace as source_schema on source_schema.oid = source.relnamespace
      where dependency.classid = 'pg_rewrite'::regclass
        and dependency.refclassid = 'pg_class'::regclass
        and model.oid <> source.oid
        and model_schema.nspname in ('staging', 'intermediate', 'marts')
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
