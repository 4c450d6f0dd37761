import { createHash } from 'node:crypto';
import { Client, type Pool } from 'pg';

/**
 * The hostile caller: a login that may execute some of the database's functions plants,
 * in its own session, objects under every name the database's code uses, then calls each
 * function it may execute and we check, as an administrator, that no privilege changed.
 * Everything is read from the catalog (which functions exist, who may execute them, the
 * names their text uses), so a function added later is attacked without a test change.
 */

/** The schemas that are the system's, not the project's. */
const SYSTEM_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;

/** A function that runs with rights other than its caller's: SECURITY DEFINER, or a role set by its SET clause. */
const RUNS_AS_ANOTHER = `(p.prosecdef or exists (select from unnest(p.proconfig) as c where c ~* '^(role|session_authorization)='))`;

/** A function or procedure of the database's own schemas. */
export interface DatabaseFunction {
  oid: number;
  signature: string;
  qualifiedName: string;
  isProcedure: boolean;
  /** SECURITY DEFINER (or a SET of role): it runs with rights other than its caller's */
  runsAsAnother: boolean;
  /** the types of the input arguments, as format_type gives them */
  argumentTypes: string[];
  /** the same, each as a cast that no type of the caller's search_path can shadow */
  argumentCasts: string[];
}

/** How a hostile session is prepared before the calls. */
export type Plant = 'nothing' | 'temporary tables with triggers' | 'temporary views' | 'shadowing functions, operators and types';

/** What is planted before calling code that runs as another role (a trap in one's own session gains nothing from code running as oneself). */
export const PLANTS: Plant[] = ['temporary tables with triggers', 'temporary views', 'shadowing functions, operators and types'];

/** A privilege that changed while a hostile caller called a function: what it called, how, and what changed. */
export interface Finding {
  caller: string;
  plant: Plant;
  call: string;
  changed: string[];
}

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Every function and procedure in the database's own schemas (not the system's) that `role` may execute. */
export async function executableFunctions(pool: Pool, role: string): Promise<DatabaseFunction[]> {
  const { rows } = await pool.query<DatabaseFunction>(
    `select p.oid::int as oid, p.oid::regprocedure::text as signature,
            format('%I.%I', n.nspname, p.proname) as "qualifiedName",
            p.prokind = 'p' as "isProcedure", ${RUNS_AS_ANOTHER} as "runsAsAnother",
            array(select format_type(t, null) from unnest(p.proargtypes::oid[]) with ordinality as a (t, i) order by i) as "argumentTypes",
            array(select case when y.typnamespace <> 'pg_catalog'::regnamespace then format_type(t, null)
                              when y.typcategory = 'A' then 'pg_catalog.' || quote_ident(e.typname) || '[]'
                              else 'pg_catalog.' || quote_ident(y.typname) end
                    from unnest(p.proargtypes::oid[]) with ordinality as a (t, i)
                    join pg_type as y on y.oid = a.t left join pg_type as e on e.oid = y.typelem
                   order by i) as "argumentCasts"
       from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
      where ${SYSTEM_SCHEMAS} and p.prokind in ('f', 'p') and has_function_privilege($1, p.oid, 'execute')
      order by 2`,
    [role],
  );
  return rows;
}

/** Every function in the database's own schemas that runs as another role than its caller (SECURITY DEFINER...). */
export async function functionsRunningAsAnother(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ signature: string }>(
    `select p.oid::regprocedure::text as signature from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
      where ${SYSTEM_SCHEMAS} and ${RUNS_AS_ANOTHER} order by 1`,
  );
  return rows.map((row) => row.signature);
}

/** Every function of the database's own schemas with the search_path it pins (null: none). */
export async function pinnedSearchPaths(pool: Pool): Promise<{ signature: string; searchPath: string | null }[]> {
  const { rows } = await pool.query<{ signature: string; searchPath: string | null }>(
    `select p.oid::regprocedure::text as signature,
            (select substr(c, length('search_path=') + 1) from unnest(p.proconfig) as c where c like 'search_path=%') as "searchPath"
       from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
      where ${SYSTEM_SCHEMAS} and p.prokind in ('f', 'p') order by 1`,
  );
  return rows;
}

/**
 * The names a hostile caller plants objects under: every identifier in the text of every
 * function of the database's schemas; every prefix the text quotes ('changed_keys_') joined
 * to the md5 and to the name of every model; the bare name of every relation of the
 * project's schemas (a copy in pg_temp may be named after it); the names of the column
 * types of those relations. Functions are planted under the names the text calls.
 */
export async function namesTheCodeUses(pool: Pool): Promise<{ relations: string[]; functions: string[]; types: string[] }> {
  const { rows: bodies } = await pool.query<{ body: string }>(
    `select p.prosrc as body from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace where ${SYSTEM_SCHEMAS}`,
  );
  const { rows: relations } = await pool.query<{ name: string }>(
    `select c.relname as name from pg_class as c join pg_namespace as n on n.oid = c.relnamespace where ${SYSTEM_SCHEMAS}`,
  );
  const { rows: types } = await pool.query<{ name: string }>(
    `select distinct format_type(a.atttypid, null) as name from pg_attribute as a join pg_class as c on c.oid = a.attrelid
       join pg_namespace as n on n.oid = c.relnamespace where ${SYSTEM_SCHEMAS} and a.attnum > 0 and not a.attisdropped`,
  );
  const models = await pool
    .query<{ name: string }>('select name from elt.models')
    .then((result) => result.rows.map((row) => row.name))
    .catch(() => [] as string[]);
  // the code without its comments (words in them name nothing the code uses)
  const text = bodies.map((row) => row.body.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ')).join('\n');
  const words = new Set([...text.matchAll(/[a-z_][a-z0-9_$]*/gi)].map((match) => match[0].toLowerCase()));
  const prefixes = new Set([...text.matchAll(/'([a-z_][a-z0-9_]*_)'/gi)].map((match) => (match[1] as string).toLowerCase()));
  const called = new Set([...text.matchAll(/([a-z_][a-z0-9_$]*)\s*\(/gi)].map((match) => (match[1] as string).toLowerCase()));
  const relationNames = new Set([...words, ...relations.map((row) => row.name)]);
  for (const prefix of prefixes) {
    for (const model of models) {
      relationNames.add(prefix + createHash('md5').update(model).digest('hex'));
      relationNames.add(prefix + model);
      relationNames.add(prefix + (model.split('.').pop() ?? model));
    }
  }
  for (const model of models) relationNames.add(model.split('.').pop() ?? model);
  const typeNames = new Set([...types.map((row) => row.name.replace(/\[\]$/, '')), ...text.matchAll(/::\s*([a-z_][a-z0-9_]*)/gi)].map(String));
  const clip = (names: Set<string>) => [...new Set([...names].map((name) => name.slice(0, 63)))].sort();
  return { relations: clip(relationNames), functions: clip(called), types: clip(new Set([...typeNames].map((name) => name.toLowerCase()))) };
}

/** What a hostile caller tries to gain when code of the owner runs its objects: each step on its own, so one refused does not stop the next. */
function payloadSql(attacker: string, schemas: string[]): string {
  const who = literal(attacker);
  const steps = [
    ...['superuser', 'createrole', 'createdb', 'bypassrls'].map((attribute) => `execute ${literal(`alter role ${ident(attacker)} ${attribute}`)};`),
    `execute ${literal(`grant pg_execute_server_program, pg_write_server_files to ${ident(attacker)}`)};`,
    `execute pg_catalog.format('grant all on database %I to %I', pg_catalog.current_database(), ${who});`,
    `execute pg_catalog.format('grant %I to %I', current_user, ${who});`,
    ...schemas.flatMap((schema) => [
      `execute ${literal(`grant all on schema ${ident(schema)} to ${ident(attacker)}`)};`,
      `execute ${literal(`grant all on all tables in schema ${ident(schema)} to ${ident(attacker)}`)};`,
      `execute ${literal(`grant all on all routines in schema ${ident(schema)} to ${ident(attacker)}`)};`,
    ]),
    ...schemas.slice(0, 1).map((schema) => `execute ${literal(`alter schema ${ident(schema)} owner to ${ident(attacker)}`)};`),
  ];
  const body = steps.map((step) => `begin ${step} exception when others then null; end;`).join('\n');
  return `create function pg_temp.hostile_payload() returns void language plpgsql as $hostile$ begin\n${body}\nend $hostile$`;
}

/** Runs `statements` one by one in the attacker's session (one round trip); returns those the server refused. */
async function plantAll(session: Client, statements: string[]): Promise<string[]> {
  await session.query(
    `create function pg_temp.hostile_plant(statements text[]) returns text[] language plpgsql as $f$
     declare statement text; refused text[] := '{}';
     begin
       foreach statement in array statements loop
         begin execute statement; exception when others then refused := refused || (statement || $e$ -- $e$ || sqlerrm); end;
       end loop;
       return refused;
     end $f$`,
  );
  const refused: string[] = [];
  // a transaction per hundred (each new table takes locks until its transaction ends: the lock table is bounded)
  for (let start = 0; start < statements.length; start += 100) {
    const chunk = statements.slice(start, start + 100);
    const { rows } = await session.query<{ refused: string[] }>('select pg_temp.hostile_plant($1) as refused', [chunk]);
    refused.push(...(rows[0]?.refused ?? chunk));
  }
  return refused;
}

const OPERATORS = ['=', '<>', '<', '>', '<=', '>=', '||', '~', '~~', '!~', '+', '-', '@>', '<@', '&&', '->>', '->', '?'];
const OPERAND_TYPES = [
  'text',
  'bigint',
  'integer',
  'boolean',
  'name',
  'oid',
  'regclass',
  'jsonb',
  'date',
  'timestamptz',
  'text[]',
  'bigint[]',
  'anyelement',
];

/** The statements that prepare a hostile session for `plant`, in the attacker's temporary schema and every schema it may create in. */
function plantStatements(plant: Plant, names: Awaited<ReturnType<typeof namesTheCodeUses>>, writable: string[]): string[] {
  const places = ['pg_temp', ...writable.map(ident)];
  const trap = `pg_temp.hostile_text()`;
  switch (plant) {
    case 'nothing':
      return [];
    case 'temporary tables with triggers':
      return places.flatMap((place) =>
        names.relations.flatMap((name) => [
          `create ${place === 'pg_temp' ? 'temp ' : ''}table ${place}.${ident(name)} (key pg_catalog.text default ${trap}, load_id pg_catalog.text default ${trap}, value pg_catalog.text default ${trap})`,
          `create trigger hostile before insert or update or delete or truncate on ${place}.${ident(name)} for each statement execute function pg_temp.hostile_trigger()`,
        ]),
      );
    case 'temporary views':
      return places.flatMap((place) =>
        names.relations.map(
          (name) =>
            `create ${place === 'pg_temp' ? 'temp ' : ''}view ${place}.${ident(name)} as select ${trap} as key, ${trap} as load_id, ${trap} as value`,
        ),
      );
    case 'shadowing functions, operators and types':
      return places.flatMap((place) => [
        ...names.functions.flatMap((name) =>
          ['text', 'text, text', 'text, text, text', 'anyelement', 'anyelement, anyelement', 'anyarray', 'regclass', 'jsonb'].map(
            (args) =>
              `create function ${place}.${ident(name)}(${args}) returns text language plpgsql as $f$ begin perform pg_temp.hostile_payload(); return null; end $f$`,
          ),
        ),
        ...OPERAND_TYPES.flatMap((type) => [
          `create function ${place}.hostile_operator(${type}, ${type}) returns boolean language plpgsql as $f$ begin perform pg_temp.hostile_payload(); return true; end $f$`,
          ...OPERATORS.map((op) => `create operator ${place}.${op} (leftarg = ${type}, rightarg = ${type}, function = ${place}.hostile_operator)`),
        ]),
        ...names.types.map((name) => `create domain ${place}.${ident(name)} as pg_catalog.text check (pg_temp.hostile_check(value))`),
      ]);
  }
}

/** The privileges a hostile caller must never change: roles' attributes and memberships, and owners and grants in the database. */
export async function privilegeState(pool: Pool, roles: string[]): Promise<Record<string, unknown>> {
  const queries: Record<string, string> = {
    'role attributes': `select rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit
                          from pg_roles where rolname = any($1) or rolname = current_user order by 1`,
    'role memberships': `select m.roleid::regrole::text as role, m.member::regrole::text as member, m.admin_option
                           from pg_auth_members as m where m.member::regrole::text = any($1) or m.roleid::regrole::text = any($1) order by 1, 2`,
    'role settings': `select s.setrole::regrole::text as role, s.setconfig from pg_db_role_setting as s
                        where s.setrole::regrole::text = any($1) or s.setrole = 0 order by 1`,
    database: `select datdba::regrole::text as owner, datacl::text from pg_database where datname = current_database()`,
    schemas: `select n.nspname, n.nspowner::regrole::text as owner, n.nspacl::text from pg_namespace as n where ${SYSTEM_SCHEMAS} order by 1`,
    relations: `select c.oid::regclass::text as relation, c.relkind, c.relowner::regrole::text as owner, c.relacl::text, c.relrowsecurity, c.relforcerowsecurity
                  from pg_class as c join pg_namespace as n on n.oid = c.relnamespace where ${SYSTEM_SCHEMAS} order by 1`,
    functions: `select p.oid::regprocedure::text as function, p.proowner::regrole::text as owner, p.proacl::text, p.prosecdef, p.proconfig, md5(p.prosrc)
                  from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace where ${SYSTEM_SCHEMAS} order by 1`,
    types: `select t.oid::regtype::text as type, t.typowner::regrole::text as owner, t.typacl::text
              from pg_type as t join pg_namespace as n on n.oid = t.typnamespace where ${SYSTEM_SCHEMAS} order by 1`,
    'default privileges': `select d.defaclrole::regrole::text as role, d.defaclnamespace, d.defaclobjtype, d.defaclacl::text from pg_default_acl as d order by 1, 2, 3`,
    'triggers, rules and policies': `select 'trigger' as kind, t.tgname::text as name, t.tgrelid::regclass::text as relation from pg_trigger as t
                                       join pg_class as c on c.oid = t.tgrelid join pg_namespace as n on n.oid = c.relnamespace where ${SYSTEM_SCHEMAS} and not t.tgisinternal
                                     union all select 'rule', r.rulename::text, r.ev_class::regclass::text from pg_rewrite as r
                                       join pg_class as c on c.oid = r.ev_class join pg_namespace as n on n.oid = c.relnamespace where ${SYSTEM_SCHEMAS} and r.rulename <> '_RETURN'
                                     union all select 'policy', p.polname::text, p.polrelid::regclass::text from pg_policy as p
                                     union all select 'event trigger', e.evtname::text, e.evtevent::text from pg_event_trigger as e
                                     order by 1, 2, 3`,
  };
  // one round trip: each query's rows as a json array
  const sql = `select ${Object.entries(queries)
    .map(([name, query]) => `(select coalesce(json_agg(q), '[]') from (${query}) as q) as "${name}"`)
    .join(',\n')}`;
  const { rows } = await pool.query<Record<string, unknown>>(sql, [roles]);
  return rows[0] ?? {};
}

/** The parts of two privilege states that differ, each with its rows before and after. */
function differences(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys(before)
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => {
      const was = new Set((before[key] as unknown[]).map((row) => JSON.stringify(row)));
      const is = new Set((after[key] as unknown[]).map((row) => JSON.stringify(row)));
      const gone = [...was].filter((row) => !is.has(row));
      const added = [...is].filter((row) => !was.has(row));
      return `${key}: ${gone.map((row) => `- ${row}`).join(' ')} ${added.map((row) => `+ ${row}`).join(' ')}`;
    });
}

/** The ways each function is called: all arguments NULL; text ones naming every model; text ones carrying SQL. */
function callsOf(fn: DatabaseFunction, models: string[], attacker: string): { text: string; values: unknown[] }[] {
  const injected = `x'); alter role ${ident(attacker)} superuser; --"`;
  const argumentsFor = (text: (type: string) => unknown) => fn.argumentTypes.map((type) => text(type));
  const variants: unknown[][] = [
    argumentsFor(() => null),
    argumentsFor((type) => (type === 'text' ? (models[0] ?? 'x') : type === 'text[]' ? models : null)),
    argumentsFor((type) =>
      type === 'text' ? injected : type === 'text[]' ? [injected] : type === 'jsonb' ? JSON.stringify({ [injected]: injected }) : null,
    ),
  ];
  const placeholders = fn.argumentCasts.map((type, index) => `$${index + 1}::${type}`).join(', ');
  const text = fn.isProcedure ? `call ${fn.qualifiedName}(${placeholders})` : `select ${fn.qualifiedName}(${placeholders})`;
  return variants.map((values) => ({ text, values }));
}

/**
 * Logs in as `caller` (a URL with its credentials), plants `plant`, and calls every function
 * in `functions` in every way of callsOf; returns each call after which a privilege had changed
 * (the state read through `admin`, on `roles`), up to the first. `beforeEachCall` gives the calls work to do.
 */
export async function attack(options: {
  admin: Pool;
  callerUrl: string;
  caller: string;
  plant: Plant;
  functions: DatabaseFunction[];
  roles: string[];
  beforeEachCall?: () => Promise<void>;
}): Promise<{
  findings: Finding[];
  planted: number;
  refused: string[];
  /** each call's error in the end (null: it succeeded), and the traps given up on the way with the errors naming them */
  outcomes: { signature: string; error: string | null; givenUp: string[]; refusals: string[] }[];
}> {
  const { admin, caller, plant } = options;
  const names = await namesTheCodeUses(admin);
  const models = await admin
    .query<{ name: string }>('select name from elt.models order by build_order')
    .then((result) => result.rows.map((row) => row.name))
    .catch(() => [] as string[]);
  const { rows: schemaRows } = await admin.query<{ name: string }>(
    `select n.nspname as name from pg_namespace as n where ${SYSTEM_SCHEMAS} order by 1`,
  );
  const session = new Client({ connectionString: options.callerUrl });
  session.on('error', () => undefined);
  await session.connect();
  const findings: Finding[] = [];
  const outcomes: { signature: string; error: string | null; givenUp: string[]; refusals: string[] }[] = [];
  try {
    const { rows: writableRows } = await session.query<{ name: string }>(
      `select n.nspname as name from pg_namespace as n where ${SYSTEM_SCHEMAS} and has_schema_privilege(n.oid, 'create') order by 1`,
    );
    const writable = writableRows.map((row) => row.name);
    await session.query(
      payloadSql(
        caller,
        schemaRows.map((row) => row.name),
      ),
    );
    await session.query(
      'create function pg_temp.hostile_trigger() returns trigger language plpgsql as $f$ begin perform pg_temp.hostile_payload(); return null; end $f$',
    );
    await session.query(
      'create function pg_temp.hostile_text() returns text language plpgsql as $f$ begin perform pg_temp.hostile_payload(); return null; end $f$',
    );
    await session.query(
      'create function pg_temp.hostile_check(text) returns boolean language plpgsql as $f$ begin perform pg_temp.hostile_payload(); return true; end $f$',
    );
    await session.query(
      `create function pg_temp.hostile_drop(name text) returns boolean language plpgsql as $f$
       declare kind "char" := (select c.relkind from pg_catalog.pg_class as c where c.oid = pg_catalog.to_regclass('pg_temp.' || pg_catalog.quote_ident(name)));
       begin
         if kind is null then return false; end if;
         execute pg_catalog.format(case kind when 'v' then 'drop view pg_temp.%I' else 'drop table pg_temp.%I' end, name);
         return true;
       end $f$`,
    );
    const statements = plantStatements(plant, names, writable);
    const refused = await plantAll(session, statements);
    // the caller's own search_path, which the code must not follow: its temporary schema and every schema it may create in first
    await session.query(`set search_path = ${['pg_temp', ...writable.map(ident), 'public', 'pg_catalog'].join(', ')}`);
    for (const fn of options.functions) {
      for (const call of callsOf(fn, models, caller)) {
        await options.beforeEachCall?.();
        // refused by name, the attacker gives that one trap up and calls again with all the others in place
        const givenUp: string[] = [];
        const refusals: string[] = [];
        for (;;) {
          const before = await privilegeState(admin, options.roles);
          const error = await session.query(call.text, call.values).then(
            () => null,
            (err: unknown) => (err instanceof Error ? err.message : String(err)),
          );
          const changed = differences(before, await privilegeState(admin, options.roles));
          if (changed.length > 0) {
            // what follows a gained privilege says nothing more (the caller may now do anything): stop at the first
            findings.push({ caller, plant, call: `${call.text} with ${JSON.stringify(call.values)}`, changed });
            outcomes.push({ signature: fn.signature, error, givenUp, refusals });
            return { findings, planted: statements.length - refused.length, refused, outcomes };
          }
          const named = error === null ? undefined : /pg_temp\.([a-z_][a-z0-9_$]*)/i.exec(error)?.[1];
          const dropped =
            named !== undefined &&
            !givenUp.includes(named) &&
            (await session.query<{ dropped: boolean }>('select pg_temp.hostile_drop($1) as dropped', [named])).rows[0]?.dropped;
          if (!dropped) {
            outcomes.push({ signature: fn.signature, error, givenUp, refusals });
            break;
          }
          givenUp.push(named as string);
          refusals.push(error as string);
        }
      }
    }
    return { findings, planted: statements.length - refused.length, refused, outcomes };
  } finally {
    await session.end().catch(() => undefined);
  }
}
