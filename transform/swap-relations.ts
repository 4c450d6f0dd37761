import type { Pool, PoolClient } from 'pg';
import { describeError, EltError, ExitCode } from '../core/errors';
import { DEFAULT_LOCK_TRY_MS, isLockTimeout, withLockRetries, type LockWaitOptions } from '../db/lock-wait';

/**
 * One relation built beside production, to take its place: `builtAs` (in the same schema,
 * e.g. `marts.article_performance__new`) becomes `name`. Whatever `name` is now (a view, a
 * materialized view or a table; or nothing) is dropped, never with CASCADE.
 */
export interface RelationSwap {
  /** the production relation, schema-qualified: `marts.article_performance` */
  name: string;
  /** the relation built beside it, schema-qualified, in the same schema */
  builtAs: string;
  /** what the built relation is: the word in `alter ... rename` */
  kind: 'view' | 'materialized view' | 'table';
  /** its indexes, unqualified (same schema): each renamed from `builtAs` to `name` */
  indexes?: { builtAs: string; name: string }[];
  /** views that go with the old relation (an incremental model's source view, one left behind): dropped just after it, when present */
  oldViews?: string[];
  /** views that go with the new one, schema-qualified: each renamed from `builtAs` to `name` (same schema) */
  newViews?: { builtAs: string; name: string }[];
}

/** The relkinds of pg_class a swap may drop, with what `drop` calls them. */
const DROP_KIND: Record<string, string> = { m: 'materialized view', r: 'table', v: 'view' };

/** `schema.name` as a quoted identifier pair. */
export function quoteQualified(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

const unqualified = (name: string): string => name.slice(name.indexOf('.') + 1);

/**
 * Gives each built relation the privileges and the owner its production relation has
 * (a relation new to production keeps what the schema's default privileges gave it):
 * grants made by hand on a mart (a BI tool's login) survive its rebuild, and those the
 * schema's default privileges gave the new relation but an admin revoked from the old
 * one stay revoked. Run before the swap, on the built relations (no lock on production
 * but the catalog read). The new owner must be a role the builder may give objects to
 * (a member of it); otherwise the build fails naming both, before anything changed.
 */
export async function carryOverPrivileges(client: PoolClient, swaps: RelationSwap[]): Promise<void> {
  for (const swap of swaps) {
    const { rows } = await client.query<{ statement: string }>(
      `with
       old as (select c.oid, c.relowner, c.relacl from pg_class as c where c.oid = to_regclass($1)),
       new as (select c.oid, c.relowner, c.relacl from pg_class as c where c.oid = to_regclass($2)),
       old_grants as (
           select a.grantee, a.privilege_type, a.is_grantable
             from old cross join lateral aclexplode(coalesce(old.relacl, acldefault('r', old.relowner))) as a
            where a.grantee <> old.relowner
       ),
       new_grants as (
           select a.grantee, a.privilege_type, a.is_grantable
             from new cross join lateral aclexplode(coalesce(new.relacl, acldefault('r', new.relowner))) as a
            where a.grantee <> new.relowner
       ),
       revokes as (
           select format('revoke %s on %s from %s', n.privilege_type, $3::text,
                         case when n.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(n.grantee)) end) as statement
             from new_grants as n
            where not exists (select from old_grants as o where o.grantee = n.grantee and o.privilege_type = n.privilege_type)
       ),
       grants as (
           select format('grant %s on %s to %s%s', o.privilege_type, $3::text,
                         case when o.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(o.grantee)) end,
                         case when o.is_grantable then ' with grant option' else '' end) as statement
             from old_grants as o
            where not exists (
                select from new_grants as n
                 where n.grantee = o.grantee and n.privilege_type = o.privilege_type and n.is_grantable = o.is_grantable)
       ),
       owner as (
           select format('alter %s %s owner to %s', $4::text, $3::text, quote_ident(pg_get_userbyid(old.relowner))) as statement
             from old cross join new
            where old.relowner <> new.relowner
       )
       select statement from owner
       union all select statement from revokes where exists (select from old)
       union all select statement from grants`,
      [swap.name, swap.builtAs, quoteQualified(swap.builtAs), swap.kind],
    );
    for (const { statement } of rows) {
      try {
        await client.query(statement);
      } catch (err) {
        throw new EltError(
          `cannot carry the privileges of ${swap.name} over to its rebuild (${statement}): ${err instanceof Error ? err.message : String(err)}`,
          ExitCode.modelFailed,
          { cause: err },
        );
      }
    }
  }
}

/** The statements of one swap, in order: the old relations dropped (dependents first), the new ones renamed into place. */
async function swapStatements(client: PoolClient, swaps: RelationSwap[]): Promise<string[]> {
  const { rows } = await client.query<{ name: string; relkind: string | null }>(
    'select s.name, (select c.relkind::text from pg_class as c where c.oid = to_regclass(s.name)) as relkind from unnest($1::text[]) as s (name)',
    [swaps.map((swap) => swap.name)],
  );
  const relkinds = new Map(rows.map((row) => [row.name, row.relkind]));
  const drops = [...swaps].reverse().flatMap((swap) => {
    const relkind = relkinds.get(swap.name);
    const old = relkind === null || relkind === undefined ? [] : [`drop ${DROP_KIND[relkind] ?? 'view'} ${quoteQualified(swap.name)}`];
    return [...old, ...(swap.oldViews ?? []).map((view) => `drop view if exists ${quoteQualified(view)}`)];
  });
  const renames = swaps.flatMap((swap) => [
    `alter ${swap.kind} ${quoteQualified(swap.builtAs)} rename to ${quoteQualified(unqualified(swap.name))}`,
    ...(swap.indexes ?? []).map(
      (index) =>
        `alter index ${quoteQualified(`${swap.name.slice(0, swap.name.indexOf('.'))}.${index.builtAs}`)} rename to ${quoteQualified(index.name)}`,
    ),
    ...(swap.newViews ?? []).map((view) => `alter view ${quoteQualified(view.builtAs)} rename to ${quoteQualified(unqualified(view.name))}`),
  ]);
  return [...drops, ...renames];
}

/**
 * One DO block running `statements`, each lock wait bounded by what is left of `budgetMs`
 * (lock_timeout set before each): all of them together wait at most that long for their
 * locks, then fail with lock_not_available (55P03), which db/lock-wait.ts retries.
 */
function boundedBlock(statements: string[], budgetMs: number, quote: (text: string) => string): string {
  const steps = statements.map(
    (statement) =>
      `    perform pg_catalog.set_config('lock_timeout', greatest(1, ${budgetMs} - extract(epoch from pg_catalog.clock_timestamp() - started) * 1000)::int || 'ms', true);\n` +
      `    execute ${quote(statement)};`,
  );
  return `do $elt_swap$\ndeclare\n    started timestamptz := pg_catalog.clock_timestamp();\nbegin\n${steps.join('\n')}\nend\n$elt_swap$`;
}

/**
 * Puts the relations built beside production in its place, all in one moment of the
 * caller's transaction (`client`, which commits soon after): the old relations are
 * dropped, dependents first, and the built ones renamed into place with their indexes
 * and views, inside a savepoint. Readers of the old relations are let finish; a new reader waits
 * behind the swap at most one try (`tryMs`, at most half the server's deadlock_timeout,
 * so a reader that holds one relation and wants another is never the one a deadlock
 * ends: the swap gives way first). A try that gives up rolls back to the savepoint
 * (production as it was, the built relations kept), pauses and tries again, up to
 * `limitSeconds` in all: then exit 11 naming the session in the way (db/lock-wait.ts).
 * `swaps` come in build order (what a relation reads before it).
 */
export async function swapRelations(
  pool: Pool,
  client: PoolClient,
  swaps: RelationSwap[],
  options: LockWaitOptions & { what: string },
): Promise<void> {
  if (swaps.length === 0) return;
  const { rows } = await client.query<{ deadlock_ms: number; lock_timeout: string }>(
    "select extract(epoch from current_setting('deadlock_timeout')::interval) * 1000 as deadlock_ms, current_setting('lock_timeout') as lock_timeout",
  );
  const tryMs = Math.max(1, Math.floor(Math.min(options.tryMs ?? DEFAULT_LOCK_TRY_MS, Number(rows[0]?.deadlock_ms ?? 1000) / 2)));
  const statements = await swapStatements(client, swaps);
  await withLockRetries(
    pool,
    options.what,
    async (arm) => {
      await client.query('savepoint elt_swap');
      try {
        await arm(client);
        await client.query(boundedBlock(statements, tryMs, (text) => client.escapeLiteral(text)));
        await client.query('release savepoint elt_swap');
      } catch (err) {
        await client.query('rollback to savepoint elt_swap');
        if (isLockTimeout(err)) throw err;
        throw new EltError(
          `${options.what}: cannot swap in ${swaps.map((swap) => swap.name).join(', ')}: ${describeError(err)}`,
          ExitCode.modelFailed,
          {
            cause: err,
          },
        );
      }
    },
    { ...options, tryMs },
  );
  await client.query("select set_config('lock_timeout', $1, true)", [rows[0]?.lock_timeout ?? '0']);
}
