import type { DocsData } from './read-docs';

/**
 * The docs of the models `selected` only (`elt docs --select`, dbt style): their pages,
 * the lineage edges into them (with what they read), their data tests, and links only to
 * models the site holds. Sources and their freshness stay whole.
 *
 * @example selectDocs(data, new Set(['marts.article_performance']))
 */
export function selectDocs(data: DocsData, selected: ReadonlySet<string>): DocsData {
  const kept = (name: string) => selected.has(name);
  return {
    ...data,
    models: data.models
      .filter((model) => kept(model.name))
      .map((model) => ({ ...model, upstream: model.upstream.filter(kept), downstream: model.downstream.filter(kept) })),
    edges: data.edges.filter((edge) => kept(edge.model)),
    tests: data.tests === null ? null : data.tests.filter((test) => kept(test.model)),
  };
}
