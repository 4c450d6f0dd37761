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

/** An environment a command reads (elt query, test, lineage, docs --env): its name and the models it holds (production's names). */
export interface ReadEnvironment {
  name: string;
  held: ReadonlySet<string>;
}

/**
 * The environment `environment`, to be read by this login: a bad name, a name never built
 * and another login's environment (checkMayRead) are each one line, exit 2.
 */
export async function environmentToRead(pool: Pool, environment: string): Promise<ReadEnvironment> {
  checkEnvironmentName(environment);
  const [found] = await readEnvironments(pool, environment);
  if (found === undefined) throw new EltError(`no environment named ${environment} (elt env list shows them)`, ExitCode.usage);
  await checkMayRead(pool, found);
  return { name: environment, held: new Set(Object.keys(found.models)) };
}

/**
 * SQL (`what` names it in a refusal) reading the environment: each reference to a model it
 * holds (`marts.x`) reads its relation (`marts__dev.x`), the others production's.
 */
export function readingEnvironment(sql: string, what: string, environment: ReadEnvironment): string {
  return rewriteModelReferences(
    what,
    sql,
    (reference) => (environment.held.has(reference.name) ? environmentRelation(reference.name, environment.name) : reference.name),
    what,
  );
}

/** An ad-hoc query (`elt query --env <name>`) reading the environment (readingEnvironment). */
export async function environmentQuery(pool: Pool, sql: string, environment: string): Promise<string> {
  return readingEnvironment(sql, 'the query', await environmentToRead(pool, environment));
}
