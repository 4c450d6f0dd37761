import type { Pool } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import { checkEnvironmentName, environmentRelation } from './environment-name';
import { checkMayRead, readEnvironments } from './environments';
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

/**
 * An ad-hoc query (`elt query --env <name>`) reading the environment: each reference to a
 * model the environment holds (`marts.x`) reads its relation (`marts__dev.x`), the others
 * production's. A name never built is one line, exit 2.
 */
export async function environmentQuery(pool: Pool, sql: string, environment: string): Promise<string> {
  checkEnvironmentName(environment);
  const [found] = await readEnvironments(pool, environment);
  if (found === undefined) throw new EltError(`no environment named ${environment} (elt env list shows them)`, ExitCode.usage);
  await checkMayRead(pool, found);
  const held = new Set(Object.keys(found.models));
  return rewriteModelReferences(
    'query',
    sql,
    (reference) => (held.has(reference.name) ? environmentRelation(reference.name, environment) : reference.name),
    'the query',
  );
}
