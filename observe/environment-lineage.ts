import type { Model } from '../transform/model-catalog';
import { environmentRelation } from '../transform/environment-name';
import type { ReadEnvironment } from '../transform/environment-sql';
import type { LineageEdge } from './lineage';

/** The lineage graph as an environment holds the models, and which of them it holds. */
export interface EnvironmentLineage {
  edges: LineageEdge[];
  /** each model the environment holds (production's name) with its relation there: marts.x -> marts__dev.x */
  held: Map<string, string>;
}

/**
 * Production's graph (`edges`, from pg_depend) with each model the environment holds
 * read from its SQL as the environment built it (the models folder's): the models it
 * selects from (readModels' dependencies), and the other relations production's graph
 * has it read (raw.raw_events, elt.settings) that its SQL still names. An environment's
 * table has no record of what it read in pg_depend, so its SQL is the one source for all.
 */
export function environmentLineage(edges: LineageEdge[], models: Model[], environment: ReadEnvironment): EnvironmentLineage {
  const byName = new Map(models.map((model) => [model.name, model]));
  const held = new Map([...environment.held].sort().map((name) => [name, environmentRelation(name, environment.name)]));
  const kept = edges.filter((edge) => !held.has(edge.model));
  const fromSql = [...held.keys()].flatMap((name) => {
    const model = byName.get(name);
    if (model === undefined) return edges.filter((edge) => edge.model === name);
    const others = edges
      .filter((edge) => edge.model === name && !byName.has(edge.source) && model.sql.includes(edge.source))
      .map((edge) => edge.source);
    return [...new Set([...model.dependsOn, ...others])].sort().map((source) => ({ source, model: name }));
  });
  return { edges: [...kept, ...fromSql].sort((a, b) => a.model.localeCompare(b.model) || a.source.localeCompare(b.source)), held };
}

/** How a graph marks a model the environment holds: ` (environment dev: marts__dev.x)`, or shorter in a label. */
export function environmentMark(environment: string, relation: string, short = false): string {
  return short ? ` (environment ${environment})` : ` (environment ${environment}: ${relation})`;
}
