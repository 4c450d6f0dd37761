/**
 * SQL: the oid of the relation `<schema>.<name>` given as text in parameter `$n` (a model's
 * name, lower case, unquoted), or NULL. Found in the catalog, which every role may read:
 * to_regclass() fails with "permission denied for schema" for a role without usage on it
 * (a reader, for staging), so what a reader is shown of a model must not go through it.
 *
 *   pool.query(`select ${relationOidSql(1)} as oid`, ['intermediate.int_events'])
 */
export function relationOidSql(n: number): string {
  return `(select c.oid from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = split_part($${n}, '.', 1) and c.relname = split_part($${n}, '.', 2))`;
}
