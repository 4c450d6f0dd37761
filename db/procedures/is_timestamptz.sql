-- elt.is_timestamptz(text): true when Postgres reads the text as a timestamptz. A model
-- uses it to keep a malformed value from failing a whole view; on Postgres 16+ it is
-- pg_input_is_valid, on 15 (which lacks it) a cast in a block that catches the error.
do $$
begin
    if current_setting('server_version_num')::int >= 160000 then
        execute $f$
            create or replace function elt.is_timestamptz(value text) returns boolean
            language sql stable parallel safe
            set search_path = pg_catalog, pg_temp
            as 'select pg_input_is_valid(value, ''timestamptz'')'
        $f$;
    else
        execute $f$
            create or replace function elt.is_timestamptz(value text) returns boolean
            language plpgsql stable parallel safe
            set search_path = pg_catalog, pg_temp
            as 'begin perform value::timestamptz; return true; exception when others then return false; end'
        $f$;
    end if;
end;
$$;

grant execute on function elt.is_timestamptz(text) to public;
