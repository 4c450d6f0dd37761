-- elt.object_namespace(classid, objid): the schema an object of the catalog lives in, as
-- pg_depend names objects: a relation's, type's, function's, operator's... own schema; a
-- trigger's, rule's, column default's or policy's, its relation's; a schema, itself;
-- NULL for anything else (elt.drop_environment() counts it outside an environment).
create or replace function elt.object_namespace(classid oid, objid oid) returns oid
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select case classid
        when 'pg_catalog.pg_namespace'::regclass then objid
        when 'pg_catalog.pg_class'::regclass then (select c.relnamespace from pg_catalog.pg_class as c where c.oid = objid)
        when 'pg_catalog.pg_type'::regclass then (select t.typnamespace from pg_catalog.pg_type as t where t.oid = objid)
        when 'pg_catalog.pg_proc'::regclass then (select p.pronamespace from pg_catalog.pg_proc as p where p.oid = objid)
        when 'pg_catalog.pg_operator'::regclass then (select o.oprnamespace from pg_catalog.pg_operator as o where o.oid = objid)
        when 'pg_catalog.pg_constraint'::regclass then (select c.connamespace from pg_catalog.pg_constraint as c where c.oid = objid)
        when 'pg_catalog.pg_collation'::regclass then (select c.collnamespace from pg_catalog.pg_collation as c where c.oid = objid)
        when 'pg_catalog.pg_conversion'::regclass then (select c.connamespace from pg_catalog.pg_conversion as c where c.oid = objid)
        when 'pg_catalog.pg_opclass'::regclass then (select o.opcnamespace from pg_catalog.pg_opclass as o where o.oid = objid)
        when 'pg_catalog.pg_opfamily'::regclass then (select o.opfnamespace from pg_catalog.pg_opfamily as o where o.oid = objid)
        when 'pg_catalog.pg_statistic_ext'::regclass then (select s.stxnamespace from pg_catalog.pg_statistic_ext as s where s.oid = objid)
        when 'pg_catalog.pg_ts_config'::regclass then (select t.cfgnamespace from pg_catalog.pg_ts_config as t where t.oid = objid)
        when 'pg_catalog.pg_ts_dict'::regclass then (select t.dictnamespace from pg_catalog.pg_ts_dict as t where t.oid = objid)
        when 'pg_catalog.pg_default_acl'::regclass then (select d.defaclnamespace from pg_catalog.pg_default_acl as d where d.oid = objid)
        when 'pg_catalog.pg_trigger'::regclass then (
            select c.relnamespace from pg_catalog.pg_trigger as t join pg_catalog.pg_class as c on c.oid = t.tgrelid where t.oid = objid)
        when 'pg_catalog.pg_rewrite'::regclass then (
            select c.relnamespace from pg_catalog.pg_rewrite as r join pg_catalog.pg_class as c on c.oid = r.ev_class where r.oid = objid)
        when 'pg_catalog.pg_attrdef'::regclass then (
            select c.relnamespace from pg_catalog.pg_attrdef as d join pg_catalog.pg_class as c on c.oid = d.adrelid where d.oid = objid)
        when 'pg_catalog.pg_policy'::regclass then (
            select c.relnamespace from pg_catalog.pg_policy as p join pg_catalog.pg_class as c on c.oid = p.polrelid where p.oid = objid)
    end
$$;

revoke execute on function elt.object_namespace(oid, oid) from public;
