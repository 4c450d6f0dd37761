import { environmentRelation } from './environment-name';
import { rewriteModelReferences } from './relation-references';

/**
 * A model's SQL as an environment runs it: each reference to one of `inEnvironment`
 * (`marts.x`) becomes the environment's relation (`marts__dev.x`); every other reference
 * stays, so unchanged upstream models are read from production. The rewriting, and the
 * refusal of spellings the dependency graph does not see, are transform/relation-references.ts's.
 */
export function environmentSql(model: string, sql: string, inEnvironment: ReadonlySet<string>, environment: string): string {
  return rewriteModelReferences(model, sql, (reference) =>
    inEnvironment.has(reference.name) ? environmentRelation(reference.name, environment) : reference.name,
  );
}
