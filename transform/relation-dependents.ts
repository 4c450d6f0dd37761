import type { PoolClient } from 'pg';
import { VIEW_READS_SQL } from '../db/view-reads';

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
     view_reads as (${VIEW_READS_SQL}),
     dependents as (
         select distinct
                source_schema || '.' || source_name as relation,
                view_schema || '.' || view_name as dependent
           from view_reads
          where source_oid in (select oid from targets where oid is not null)
     )
     select relation, dependent from dependents
      where not dependent = any($1::text[])
      order by relation, dependent`,
    [relations],
  );
  return rows;
}
