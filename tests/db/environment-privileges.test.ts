import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { buildEnvironment } from '../../transform/build-environment';
import { checkEnvironmentName } from '../../transform/environment-name';
import { environmentQuery } from '../../transform/environment-sql';
import { dropEnvironment, readEnvironments } from '../../transform/environments';
import { promoteEnvironment } from '../../transform/promote-environment';
import { ident, privilegeState } from '../helpers/hostile-caller';
import { createBuiltProjectDatabase, createLogins, projectRoles } from '../helpers/logins';
import { runInProcess } from '../helpers/run-in-process';
import { copyOfModels, type TestDatabase } from '../helpers/test-database';

// Environments of analyst logins, probed as an attacker would: an analyst builds and drops
// its own environments (elt.create_environment / elt.drop_environment, SECURITY DEFINER),
// never another's, never production; its models run with its own rights; a reader may do
// none of it. Production is compared, catalog and rows, before and after every attempt.

let db: TestDatabase;
let roles: ReturnType<typeof projectRoles>;
const logins = createLogins();
let anna: string;
let bert: string;
let rita: string;
let annaPool: Pool;
let bertPool: Pool;
let ritaPool: Pool;
/** models with marts/category_ctr_daily.sql edited (what an analyst's environment holds) */
let modelsDir: string;

const MART = 'marts/category_ctr_daily.sql';
const edited = (sql: string) => sql.replace('select * from final', 'select * from final where card_views > 1');

function modelsWith(relativePath: string, edit: (sql: string) => string): string {
  const dir = copyOfModels();
  const path = join(dir, relativePath);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  return dir;
}

const build = (pool: Pool, environment: string, dir = modelsDir) => buildEnvironment(pool, { dir, environment, log: silentLogger });

beforeAll(async () => {
  ({ db, roles } = await createBuiltProjectDatabase());
  anna = await logins.create('anna', [roles.analyst]);
  bert = await logins.create('bert', [roles.analyst]);
  rita = await logins.create('rita', [roles.reader]);
  annaPool = logins.pool(db.url, anna);
  bertPool = logins.pool(db.url, bert);
  ritaPool = logins.pool(db.url, rita);
  modelsDir = modelsWith(MART, edited);
  await build(annaPool, 'anna_dev');
  await build(bertPool, 'bert_dev');
}, 120_000);

afterAll(async () => {
  await logins.endPools();
  await db.drop();
  await logins.dropAll();
});

/**
 * Production as the owner sees it: every relation outside the environments' schemas (kind,
 * owner, ACL, definition), a checksum of the rows of every model and of the engine's
 * bookkeeping, and the roles' attributes and memberships, the database's and functions' grants.
 */
async function production(): Promise<unknown> {
  const { rows: relations } = await db.pool.query<{ relation: string; relkind: string }>(
    `select c.oid::regclass::text as relation, c.relkind, pg_get_userbyid(c.relowner) as owner, c.relacl::text,
            case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as definition
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
      where n.nspname in ('raw', 'staging', 'intermediate', 'marts', 'elt', 'elt_observe', 'elt_engine', 'public')
      order by 1`,
  );
  const checksums: Record<string, string> = {};
  for (const { relation } of relations.filter((row) => ['r', 'm', 'v'].includes(row.relkind) && !row.relation.startsWith('elt_engine.'))) {
    const { rows } = await db.pool.query<{ digest: string }>(
      `select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from ${relation} as t`,
    );
    checksums[relation] = (rows[0] as { digest: string }).digest;
  }
  // the record of environments is not production's: the attempts below must not change it either, checked apart
  delete checksums['elt.environments'];
  const state = await privilegeState(db.pool, [anna, bert, rita, roles.analyst, roles.reader, roles.loader]);
  const { rows: schemas } = await db.pool.query(
    `select nspname, pg_get_userbyid(nspowner) as owner, nspacl::text from pg_namespace where nspname !~ '^pg_' and nspname !~ '__' order by 1`,
  );
  // the functions of the database but an environment's own (an analyst makes what it likes in its schemas)
  const functions = (state.functions as { function: string }[]).filter((row) => !/^[a-z_]+__/.test(row.function));
  return { relations, checksums, schemas, grants: [state['role attributes'], state['role memberships'], state.database, functions] };
}

const environmentRows = async () =>
  (await db.pool.query('select name, owner_login, models from elt.environments order by name')).rows as { name: string; owner_login: string }[];

test("an analyst login builds its own environment with its own rights: the relations are its, the schemas admit it alone, production's catalog and rows are unchanged", async () => {
  const before = await production();
  const result = await build(annaPool, 'anna_two');
  expect(result.schemas).toEqual(['marts__anna_two']);
  expect(await production()).toEqual(before);
  const { rows } = await db.pool.query(
    `select e.owner_login, pg_get_userbyid(c.relowner) as relation_owner, pg_get_userbyid(n.nspowner) as schema_owner,
            has_schema_privilege($1, n.oid, 'create') as anna_creates, has_schema_privilege($2, n.oid, 'usage') as bert_uses,
            has_schema_privilege($3, n.oid, 'usage') as rita_uses, has_schema_privilege($4, n.oid, 'usage') as analysts_use
       from elt.environments as e, pg_class as c join pg_namespace as n on n.oid = c.relnamespace
      where e.name = 'anna_two' and n.nspname = 'marts__anna_two' and c.relname = 'category_ctr_daily'`,
    [anna, bert, rita, roles.analyst],
  );
  expect(rows).toEqual([
    {
      owner_login: anna,
      relation_owner: anna,
      schema_owner: expect.any(String),
      anna_creates: true,
      bert_uses: false,
      rita_uses: false,
      analysts_use: false,
    },
  ]);
  // the analyst reads its environment (a mart computed from production's intermediate tables, which it now may read)
  expect((await annaPool.query('select count(*)::int as n from marts__anna_two.category_ctr_daily')).rows).toEqual([{ n: 0 }]);
  // every login of the project sees every environment in the list
  expect((await readEnvironments(bertPool)).map((environment) => [environment.name, environment.ownerLogin])).toEqual(
    expect.arrayContaining([
      ['anna_dev', anna],
      ['anna_two', anna],
      ['bert_dev', bert],
    ]),
  );
  expect(await dropEnvironment(annaPool, 'anna_two')).toEqual(['marts__anna_two']);
  expect(await production()).toEqual(before);
});

test('from the command line, an analyst builds, lists and drops its own environment, and is refused another login’s', async () => {
  const env = { ...process.env, DATABASE_URL: logins.url(db.url, anna), ELT_DEBUG: '' };
  const elt = (args: string[]) => runInProcess(args, env);
  const built = await elt(['build', '--env', 'anna_cli', '--models', modelsDir]);
  expect({ code: built.code, stdout: built.stdout }).toEqual({
    code: ExitCode.ok,
    stdout:
      'environment anna_cli: built 1 model(s) in marts__anna_cli (changed: marts.category_ctr_daily; the others read production)\n  marts__anna_cli.category_ctr_daily\n',
  });
  expect((await elt(['env', 'list'])).stdout).toMatch(new RegExp(`^bert_dev\\s+${bert}\\s`, 'm'));
  const refused = await elt(['env', 'drop', 'bert_dev']);
  expect({ code: refused.code, errors: refused.stderr.split('\n').filter((line) => line.startsWith('elt: error')) }).toEqual({
    code: ExitCode.usage,
    errors: [`elt: error: environment bert_dev belongs to ${bert}: ${anna} may not change or drop it; nothing was changed`],
  });
  const rebuilt = await elt(['build', '--env', 'bert_dev', '--models', modelsDir]);
  expect(rebuilt.code).toBe(ExitCode.usage);
  expect(rebuilt.stderr).toContain(`environment bert_dev belongs to ${bert}: ${anna} may not change or drop it; nothing was changed`);
  expect(await elt(['env', 'drop', 'anna_cli'])).toMatchObject({
    code: ExitCode.ok,
    stdout: 'dropped environment anna_cli (schemas marts__anna_cli)\n',
  });
  expect((await environmentRows()).map((row) => row.name)).toEqual(['anna_dev', 'bert_dev']);
});

test("analyst B cannot drop, rebuild or write into analyst A's environment: through the code, the definer functions or plain SQL; A's environment and production unchanged", async () => {
  const before = await production();
  const { rows: annaBefore } = await db.pool.query('select count(*)::int as n from marts__anna_dev.category_ctr_daily');
  const mine = /environment anna_dev belongs to anna_\w+: bert_\w+ may not change or drop it; nothing was changed/;
  await expect(dropEnvironment(bertPool, 'anna_dev')).rejects.toThrow(mine);
  await expect(build(bertPool, 'anna_dev')).rejects.toThrow(mine);
  await expect(bertPool.query("select elt.drop_environment('anna_dev')")).rejects.toThrow(mine);
  await expect(bertPool.query(`select elt.create_environment('anna_dev', '{"marts.category_ctr_daily": "x"}')`)).rejects.toThrow(mine);
  for (const statement of [
    'drop table marts__anna_dev.category_ctr_daily',
    'delete from marts__anna_dev.category_ctr_daily',
    'select * from marts__anna_dev.category_ctr_daily',
    'create table marts__anna_dev.planted (x int)',
    'drop schema marts__anna_dev cascade',
    'delete from elt.environments',
    "update elt.environments set owner_login = session_user where name = 'anna_dev'",
    "insert into elt.environments (name, built_from, models) values ('b', '{}', '{}')",
    'create schema marts__b',
  ]) {
    await expect(bertPool.query(statement)).rejects.toThrow(/permission denied|must be owner/);
  }
  expect(await production()).toEqual(before);
  expect((await db.pool.query('select count(*)::int as n from marts__anna_dev.category_ctr_daily')).rows).toEqual(annaBefore);
  expect((await environmentRows()).map((row) => [row.name, row.owner_login])).toEqual([
    ['anna_dev', anna],
    ['bert_dev', bert],
  ]);
});

const HOSTILE_NAMES: [string, string | null][] = [
  ['empty', ''],
  ['a production schema, upper case', 'MARTS'],
  ['a production schema plus a suffix (another split)', 'marts__x'],
  ['a layer and an environment', 'marts__anna_dev'],
  ['a trailing underscore', 'x_'],
  ['a leading underscore', '_x'],
  ['21 characters', 'a'.repeat(21)],
  ['64 bytes', 'a'.repeat(64)],
  ['a non-ASCII letter', 'dév'],
  ['a full-width letter', 'ｄev'],
  ['a trailing newline', 'dev\n'],
  ['a double quote', 'dev"; drop schema marts cascade; --'],
  ['a single quote', "dev'"],
  ['a space', 'dev x'],
  ['a dot', 'marts.x'],
  ['NULL', null],
];

test.each(HOSTILE_NAMES)(
  'the definer functions refuse an environment name that is %s, called directly, and create or drop nothing',
  async (_case, name) => {
    const before = await production();
    const records = await environmentRows();
    await expect(annaPool.query('select elt.create_environment($1, $2)', [name, '{"marts.category_ctr_daily": "x"}'])).rejects.toMatchObject({
      code: '22023',
    });
    await expect(annaPool.query('select elt.drop_environment($1)', [name])).rejects.toMatchObject({ code: '42704' });
    expect(await production()).toEqual(before);
    expect(await environmentRows()).toEqual(records);
  },
);

test('the definer functions’ name rule (elt.is_environment_name) and the CLI’s (checkEnvironmentName) give the same answer for valid names and each hostile one', async () => {
  const names = [...HOSTILE_NAMES.map(([, name]) => name), 'dev', 'anna_2', 'a'.repeat(20), 'x1_y2_z3'];
  for (const name of names) {
    const { rows } = await db.pool.query<{ ok: boolean }>('select elt.is_environment_name($1) as ok', [name]);
    const cli =
      name !== null &&
      (() => {
        try {
          checkEnvironmentName(name);
          return true;
        } catch {
          return false;
        }
      })();
    expect([name, rows[0]?.ok]).toEqual([name, cli]);
  }
});

test('the models an environment is created with must be models of production’s layers: raw, another schema, SQL or a flood of names is refused', async () => {
  const before = await production();
  const many = JSON.stringify(Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`marts.m${i}`, 'x'])));
  for (const models of [
    '{"raw.raw_events": "x"}',
    '{"elt.environments": "x"}',
    '{"marts__bert_dev.category_ctr_daily": "x"}',
    '{"marts.x; drop schema marts cascade": "x"}',
    '{"marts.category_ctr_daily": 1}',
    '{}',
    '[]',
    '"marts.category_ctr_daily"',
    many,
  ]) {
    await expect(annaPool.query("select elt.create_environment('anna_models', $1)", [models])).rejects.toMatchObject({ code: '22023' });
  }
  expect(await production()).toEqual(before);
  expect((await environmentRows()).map((row) => row.name)).toEqual(['anna_dev', 'bert_dev']);
});

test('an environment whose name is a production layer’s is only ever <layer>__<name>: production’s own schemas are never made, granted or dropped', async () => {
  const before = await production();
  await build(annaPool, 'marts');
  expect((await db.pool.query("select nspname from pg_namespace where nspname like 'marts%' order by 1")).rows.map((row) => row.nspname)).toEqual([
    'marts',
    'marts__anna_dev',
    'marts__bert_dev',
    'marts__marts',
  ]);
  expect(await dropEnvironment(annaPool, 'marts')).toEqual(['marts__marts']);
  expect(await production()).toEqual(before);
});

test('a schema planted under an environment’s name by someone else is refused: not built into, not granted, not dropped', async () => {
  await db.pool.query(`create schema marts__planted authorization ${ident(bert)}`);
  try {
    const before = await production();
    await expect(build(annaPool, 'planted')).rejects.toThrow(
      "schema marts__planted exists and is not environment planted's (elt did not make it): choose another name; nothing was built",
    );
    await expect(dropEnvironment(annaPool, 'planted')).rejects.toThrow('no environment named planted (elt env list shows them); nothing was dropped');
    await expect(dropEnvironment(db.pool, 'planted')).rejects.toThrow('no environment named planted');
    expect(await production()).toEqual(before);
  } finally {
    await db.pool.query('drop schema marts__planted');
  }
});

test('a session that shadows what the definer functions call (pg_temp functions, operators, tables, its own search_path) changes nothing they do, and gains nothing', async () => {
  const database = ident(new URL(db.url).pathname.slice(1));
  // the worst case: TEMPORARY granted back to the analyst (the migrations revoke it from PUBLIC)
  await db.pool.query(`grant temporary on database ${database} to ${ident(anna)}`);
  const session = await annaPool.connect();
  try {
    await session.query(
      `create function pg_temp.payload() returns text language plpgsql as $f$
       begin
         begin execute format('alter role %I superuser', session_user); exception when others then null; end;
         begin execute format('grant %I to %I', current_user, session_user); exception when others then null; end;
         return 'x';
       end $f$`,
    );
    for (const fn of [
      'format',
      'split_part',
      'left',
      'to_json',
      'octet_length',
      'jsonb_typeof',
      'pg_has_role',
      'has_pending_changes',
      'production_state',
      'object_namespace',
      'pg_describe_object',
      'md5',
      'count',
    ]) {
      for (const args of ['text', 'text, text', 'text, text, text', 'anyelement', 'jsonb', 'oid, oid', 'oid, oid, integer', '']) {
        await session.query(`create function pg_temp.${fn}(${args}) returns text language sql as $f$ select pg_temp.payload() $f$`);
      }
    }
    await session.query(
      `create function pg_temp.hostile_eq(text, text) returns boolean language sql as $f$ select pg_temp.payload() is not null $f$`,
    );
    for (const op of ['=', '<>', '~', '!~', '||'])
      await session.query(`create operator pg_temp.${op} (leftarg = text, rightarg = text, function = pg_temp.hostile_eq)`);
    for (const table of ['environments', 'models', 'pg_namespace', 'pg_depend', 'refresh_log', 'loads']) {
      await session.query(`create temp table ${table} (name text default pg_temp.payload(), owner_login text, models jsonb, nspname text)`);
    }
    await session.query('set search_path = pg_temp, public, pg_catalog');
    const before = await privilegeState(db.pool, [anna, roles.analyst]);
    const { rows } = await session.query(`select elt.create_environment('anna_shadow', '{"marts.category_ctr_daily": "x"}') as schemas`);
    expect(rows).toEqual([{ schemas: ['marts__anna_shadow'] }]);
    expect((await db.pool.query("select owner_login from elt.environments where name = 'anna_shadow'")).rows).toEqual([{ owner_login: anna }]);
    expect((await session.query("select elt.drop_environment('anna_shadow') as schemas")).rows).toEqual([{ schemas: ['marts__anna_shadow'] }]);
    expect(await privilegeState(db.pool, [anna, roles.analyst])).toEqual(before);
    expect((await db.pool.query("select count(*)::int as n from pg_namespace where nspname = 'marts__anna_shadow'")).rows).toEqual([{ n: 0 }]);
  } finally {
    session.release(true);
    await db.pool.query(`revoke temporary on database ${database} from ${ident(anna)}`);
  }
});

/** Model SQL of an analyst's that tries to write production, to grant itself something or to act on another's environment. */
const HOSTILE_MODELS: [string, string][] = [
  ['locks production rows for update', 'select * from marts.user_performance for update'],
  ["reads raw, which an analyst's login may not", 'select load_id, count(*) as n from raw.raw_events group by load_id'],
  ['drops another login’s environment', "select * from marts.user_performance where elt.drop_environment('bert_dev') is not null"],
  [
    'sets its session to the owner',
    "select * from marts.user_performance where pg_catalog.set_config('session_authorization', 'postgres', false) is not null",
  ],
  [
    'sets its role to the owner',
    "select * from marts.user_performance where pg_catalog.set_config('role', current_database() || '_loader', false) is not null",
  ],
  ['calls the engine', 'select * from marts.user_performance where (select count(*) from elt.fold_keys()) >= 0 and elt.has_pending_changes()'],
  ['advances a sequence of raw', "select pg_catalog.nextval('raw.loads_load_id_seq') as n"],
  ['deletes from production in a data-modifying WITH', 'with gone as (delete from marts.user_performance returning *) select * from gone'],
];

test.each(HOSTILE_MODELS)('an analyst’s model that %s fails the build, and neither production nor any environment changes', async (_case, sql) => {
  const before = await production();
  const records = await environmentRows();
  const dir = modelsWith(MART, (text) => text.replace(/\nwith\n[\s\S]*$/, `\n${sql}\n`));
  await expect(build(annaPool, 'anna_attack', dir)).rejects.toThrow(
    /failed to build in environment anna_attack: .*(permission denied|belongs to bert|must be at the top level|not allowed)/,
  );
  expect(await production()).toEqual(before);
  expect(await environmentRows()).toEqual(records);
});

test('dropping refuses while an object outside the environment depends on one inside it (a view, a column of its type), whoever made it; what the analyst planted inside goes with it and runs nothing', async () => {
  await build(annaPool, 'anna_deps');
  await annaPool.query('create type marts__anna_deps.mood as (happy boolean)');
  await annaPool.query(
    `create function marts__anna_deps.grab() returns trigger language plpgsql as $f$
     begin execute format('alter role %I superuser', session_user); return null; end $f$`,
  );
  await annaPool.query('create table marts__anna_deps.bait (x int)');
  await annaPool.query(
    'create trigger grab after insert or update or delete or truncate on marts__anna_deps.bait for each statement execute function marts__anna_deps.grab()',
  );
  await db.pool.query('create view public.reads_anna as select * from marts__anna_deps.category_ctr_daily');
  await db.pool.query('create table public.uses_mood (m marts__anna_deps.mood)');
  try {
    await expect(dropEnvironment(annaPool, 'anna_deps')).rejects.toThrow(
      'cannot drop environment anna_deps: column m of table public.uses_mood (outside it) depends on type marts__anna_deps.mood: drop it first; nothing was dropped',
    );
    await db.pool.query('drop table public.uses_mood');
    // the owner may drop any environment, and is refused the same way
    await expect(dropEnvironment(db.pool, 'anna_deps')).rejects.toThrow(
      'cannot drop environment anna_deps: view public.reads_anna (outside it) depends on table marts__anna_deps.category_ctr_daily: drop it first; nothing was dropped',
    );
  } finally {
    await db.pool.query('drop view if exists public.reads_anna');
    await db.pool.query('drop table if exists public.uses_mood');
  }
  const before = await production();
  expect(await dropEnvironment(db.pool, 'anna_deps')).toEqual(['marts__anna_deps']);
  expect(await production()).toEqual(before);
  expect((await db.pool.query('select rolsuper from pg_roles where rolname = $1', [anna])).rows).toEqual([{ rolsuper: false }]);
});

test("the owner drops an analyst's environment but does not read it (its views would run the analyst's functions with the owner's rights), nor promote it; the analyst does not promote", async () => {
  await expect(environmentQuery(db.pool, 'select * from marts.category_ctr_daily', 'anna_dev')).rejects.toThrow(
    /^environment anna_dev was built by anna_\w+: only that login reads it/,
  );
  expect(await environmentQuery(annaPool, 'select * from marts.category_ctr_daily', 'anna_dev')).toBe(
    'select * from marts__anna_dev.category_ctr_daily',
  );
  await expect(promoteEnvironment(db.pool, { dir: modelsDir, environment: 'anna_dev', log: silentLogger })).rejects.toThrow(/was built by anna_\w+/);
  await expect(promoteEnvironment(annaPool, { dir: modelsDir, environment: 'anna_dev', log: silentLogger })).rejects.toThrow(
    /may not promote environment anna_dev|permission denied/,
  );
});

test('a reader login is refused every one of these: building, dropping, calling the definer functions, reading or writing an environment', async () => {
  const before = await production();
  await expect(build(ritaPool, 'rita_dev')).rejects.toThrow(/may not build environments|permission denied/);
  await expect(dropEnvironment(ritaPool, 'anna_dev')).rejects.toThrow(
    `${rita} may not drop environments: only the project's owner and its analyst logins may (docs/analysts/roles.md)`,
  );
  await expect(ritaPool.query(`select elt.create_environment('rita_dev', '{"marts.category_ctr_daily": "x"}')`)).rejects.toThrow(
    /permission denied for (function|schema elt)/,
  );
  await expect(ritaPool.query("select elt.drop_environment('anna_dev')")).rejects.toThrow(/permission denied for (function|schema elt)/);
  for (const statement of [
    'select * from marts__anna_dev.category_ctr_daily',
    'select * from intermediate.int_events',
    'select * from staging.stg_events',
    'select * from elt.environments',
    'create table marts__anna_dev.x (x int)',
  ]) {
    await expect(ritaPool.query(statement)).rejects.toThrow(/permission denied/);
  }
  expect(await production()).toEqual(before);
  expect((await environmentRows()).map((row) => row.name)).toEqual(['anna_dev', 'bert_dev']);
});
