import type { PoolClient } from 'pg';

/** A view or materialized view that reads a relation: `dependent` selects from `relation`. */
export interface RelationDependent {
  relation: string;
  dependent: string;
}

/**
 * The views and materialized views of any schema that read one of `relations` and are
 * not themselves among them (pg_depend on their rewrite rules), so a build can say
 * which object stands in the way before it drops anything (it never drops with
 * CASCADE). `relations` are schema-qualified names; missing ones are ignored.
 */
export async function readDependents(client: PoolClient, relations: string[]): Promise<RelationDependent[]> {
  const { rows } = await client.query<RelationDependent>(
    `with
     targets as (
         select to_regclass(name) as oid from unnest($1::text[]) as name
     ),
     dependents as (
         select distinct
                source_schema.nspname || '.' || source.relname as relation,
                dependent_schema.nspname || '.' || dependent.relname as dependent
           from pg_depend as dependency
           join pg_rewrite as rule on rule.oid = dependency.objid
           join pg_class as dependent on dependent.oid = rule.ev_class
           join pg_namespace as dependent_schema on dependent_schema.oid = dependent.relnamespace
           join pg_class as source on source.oid = dependency.refobjid
           join pg_namespace as source_schema on source_schema.oid = source.relnamespace
          where dependency.classid = 'pg_rewrite'::regclass
            and dependency.refclassid = 'pg_class'::regclass
            and dependency.refobjid in (select oid from targets where oid is not null)
            and dependent.oid <> source.oid
     )
     select relation, dependent from dependents
      where not dependent = any($1::text[])
      order by relation, dependent`,
    [relations],
  );
  return rows;
}
