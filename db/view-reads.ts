/**
 * SQL: one row per relation a view or materialized view reads, as the database records
 * it (pg_depend on the view's rewrite rule), so it never drifts from the views' SQL.
 * Columns: source_oid, source_schema, source_name (what is read) and view_oid,
 * view_schema, view_name (the reader); a view is not listed as reading itself. A
 * view reading a relation through several columns gives several rows: select distinct.
 * For a CTE: `with view_reads as (${VIEW_READS_SQL}) select ...`.
 */
export const VIEW_READS_SQL = `select
           dependency.refobjid as source_oid,
           source_schema.nspname as source_schema,
           source.relname as source_name,
           reader.oid as view_oid,
           reader_schema.nspname as view_schema,
           reader.relname as view_name
      from pg_depend as dependency
      join pg_rewrite as rule on rule.oid = dependency.objid
      join pg_class as reader on reader.oid = rule.ev_class
      join pg_namespace as reader_schema on reader_schema.oid = reader.relnamespace
      join pg_class as source on source.oid = dependency.refobjid
      join pg_namespace as source_schema on source_schema.oid = source.relnamespace
     where dependency.classid = 'pg_rewrite'::regclass
       and dependency.refclassid = 'pg_class'::regclass
       and reader.oid <> source.oid`;
