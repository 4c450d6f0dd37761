import type { Pool } from 'pg';
import { insertRawEvents } from '../helpers/raw-events';
import {
  attack,
  executableFunctions,
  type Finding,
  ident,
  pinnedSearchPaths,
  functionsRunningAsAnother,
  type Plant,
  PLANTS,
  type DatabaseFunction,
} from '../helpers/hostile-caller';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { createBuiltProjectDatabase, createLogins, projectRoles } from '../helpers/logins';

// Every function a login of the project may execute, called by a hostile login that prepared
// its session: the names the code uses taken first in its temporary schema (tables with
// triggers, views), functions, operators and types shadowing the system's, its own search_path.
// The functions and the names come from the catalog, so new code is attacked without a new test.

let db: TestDatabase;
const logins = createLogins();
let roles: ReturnType<typeof projectRoles>;
/** the hostile logins: one in each project role, and one made like elt query's temporary reader */
const callers: { name: string; kind: string }[] = [];

beforeAll(async () => {
  ({ db, roles } = await createBuiltProjectDatabase());
  callers.push(
    { kind: 'reader', name: await logins.create('rita', [roles.reader]) },
    { kind: 'analyst', name: await logins.create('anna', [roles.analyst]) },
    { kind: 'loader', name: await logins.create('lars', [roles.loader]) },
    {
      kind: "elt query's temporary reader",
      name: await logins.create('quinn', ['pg_read_all_data'], 'nosuperuser nocreatedb nocreaterole noreplication nobypassrls'),
    },
  );
  const database = ident(new URL(db.url).pathname.slice(1));
  // the worst case: TEMPORARY granted back to every caller (the migrations revoke it from PUBLIC, a DBA may grant it)
  for (const caller of callers) await db.pool.query(`grant connect, temporary on database ${database} to ${ident(caller.name)}`);
});

afterAll(async () => {
  await logins.endPools();
  await db.drop();
  await logins.dropAll();
});

/** New events for the calls to fold in: by load and by key, so every path of the engine runs. */
let batch = 0;
async function newEvents(pool: Pool): Promise<void> {
  batch += 1;
  await insertRawEvents(pool, [
    {
      ts: `2019-03-${String((batch % 27) + 1).padStart(2, '0')} 10:00:00 +0000`,
      session: `h${batch}`,
      event: 'my_news_card_viewed',
      user: `u${batch}`,
      attributes: { id: `a${batch}`, category: 'news' },
    },
  ]);
}

test('no function that a reader, analyst, loader or elt query reader may execute lets a hostile caller change any privilege, whatever its session holds', async () => {
  const findings: Finding[] = [];
  const unprepared: string[] = [];
  const refreshOutcomes: { plant: string; error: string | null; givenUp: string[] }[] = [];
  const refusals: string[] = [];
  const attacked = new Set<string>();
  const everyRole = [...callers.map((caller) => caller.name), roles.reader, roles.analyst, roles.loader];
  for (const caller of callers) {
    const functions: DatabaseFunction[] = await executableFunctions(db.pool, caller.name);
    for (const fn of functions) attacked.add(fn.signature);
    // a trap in one's own session gains nothing from code that runs as oneself: those are called with nothing planted
    const plants: Plant[] = functions.some((fn) => fn.runsAsAnother) ? PLANTS : ['nothing'];
    for (const plant of plants) {
      const result = await attack({
        admin: db.pool,
        callerUrl: logins.url(db.url, caller.name),
        caller: caller.name,
        plant,
        functions,
        roles: everyRole,
        beforeEachCall: () => newEvents(db.pool),
      });
      // the session was prepared (the attacks are real) and every function was called
      if (plant !== 'nothing' && result.planted === 0) unprepared.push(`${caller.kind}, ${plant}: nothing planted`);
      if (plant !== 'shadowing functions, operators and types' && result.refused.length > 0) {
        unprepared.push(`${caller.kind}, ${plant}: refused ${result.refused.join('; ')}`);
      }
      if (result.outcomes.length !== functions.length * 3) unprepared.push(`${caller.kind}, ${plant}: ${result.outcomes.length} calls`);
      findings.push(...result.findings);
      if (findings.length > 0) break;
      if (caller.kind === 'analyst') {
        const refreshes = result.outcomes.filter((outcome) => outcome.signature === 'elt.refresh_marts(text[])');
        refreshOutcomes.push(...refreshes.map((outcome) => ({ plant, error: outcome.error, givenUp: outcome.givenUp })));
        refusals.push(...refreshes.flatMap((outcome) => outcome.refusals));
      }
    }
    if (findings.length > 0) break;
  }
  expect(findings).toEqual([]);
  expect(unprepared).toEqual([]);
  // the analyst's refresh refuses, with one line naming it, a table or view of the caller's under a name of the engine's
  // working tables (the changed keys of each model by key) and, once the caller has dropped those, runs to the end with
  // every other trap in place; the shadowing functions, operators and types it never runs
  const { rows } = await db.pool.query<{ name: string }>(
    "select 'changed_keys_' || md5(name) as name from elt.models where materialized = 'incremental' and incremental_by <> 'load_id' order by build_order",
  );
  const workingTables = rows.map((row) => row.name);
  expect(workingTables.length).toBeGreaterThan(0);
  expect(refreshOutcomes).toEqual([
    ...['temporary tables with triggers', 'temporary views'].flatMap((plant) => [
      // the first call meets each working table's trap in turn; the later calls find the traps gone
      { plant, error: null, givenUp: expect.arrayContaining(workingTables) },
      { plant, error: null, givenUp: [] },
      { plant, error: null, givenUp: [] },
    ]),
    ...[0, 1, 2].map(() => ({ plant: 'shadowing functions, operators and types', error: null, givenUp: [] })),
  ]);
  const trap =
    /^pg_temp\.(changed_keys_[0-9a-f]{32}|refresh_loads) in this session is not the engine's working table \(made by anna_\w+\): refusing to use it; drop it and run again$/;
  expect(refusals.filter((message) => !trap.test(message))).toEqual([]);
  expect(refusals.length).toBeGreaterThanOrEqual(2 * workingTables.length);
  // what is attacked is what the catalog says these roles may execute: the refresh among it, with every plant
  expect([...attacked]).toContain('elt.refresh_marts(text[])');
  expect(callers.find((caller) => caller.kind === 'analyst')).toBeDefined();
});

test('of the functions that run as another role (SECURITY DEFINER), those callers may execute the refresh, the newest event of a source and (the analyst) the making and dropping of its environments only: the engine is reached through the refresh', async () => {
  const definers = await functionsRunningAsAnother(db.pool);
  expect(definers).toContain('elt.refresh_marts(text[])');
  const reachable = new Set<string>();
  for (const caller of callers) for (const fn of await executableFunctions(db.pool, caller.name)) reachable.add(fn.signature);
  // the engine's own steps are reached through elt.refresh_marts only: nobody else may call them
  // and elt freshness reads one timestamp of a model a reader may not read (db/procedures/newest_event_at.sql)
  // and an analyst makes and drops its own environments (db/procedures/create_environment.sql, drop_environment.sql)
  expect(definers.filter((signature) => reachable.has(signature)).sort()).toEqual([
    'elt.create_environment(text,jsonb)',
    'elt.drop_environment(text)',
    'elt.refresh_marts(text[])',
    'elt_observe.newest_event_at(text,text)',
  ]);
});

test('elt_observe.newest_event_at gives a reader one timestamp of a staging or intermediate model, and nothing of anything else it is asked for', async () => {
  const pool = logins.pool(db.url, (callers.find((caller) => caller.kind === 'reader') as { name: string }).name, 1);
  const newest = async (model: string, source: string) =>
    (await pool.query<{ at: Date | null }>('select elt_observe.newest_event_at($1, $2) as at', [model, source])).rows[0]?.at ?? null;
  const { rows } = await db.pool.query<{ source: string }>("select distinct source from elt_observe.loads where status = 'loaded'");
  const source = (rows[0] as { source: string }).source;
  expect(await newest('intermediate.int_events', source)).toBeInstanceOf(Date);
  // relations that are no staging or intermediate model, names that are SQL, a mart (a reader reads it itself)
  for (const model of [
    'raw.raw_events',
    'raw.loads',
    'elt.settings',
    'pg_catalog.pg_authid',
    'marts.category_ctr_daily',
    'intermediate.int_events; select 1',
    'intermediate.int_events as events, raw.raw_events',
    '"intermediate"."int_events"',
    '',
  ]) {
    expect({ model, at: await newest(model, source) }).toEqual({ model, at: null });
  }
  // a source of no load: no time (and the sources a reader may not see are only ever the ledger's, in elt_observe.loads)
  expect(await newest('intermediate.int_events', "' or true --")).toBeNull();
});

test('every function of the database pins its search_path to pg_catalog, then pg_temp named last (never searched first for tables, never for functions)', async () => {
  const paths = await pinnedSearchPaths(db.pool);
  expect(paths.length).toBeGreaterThan(0);
  expect(paths.filter((row) => row.searchPath !== 'pg_catalog, pg_temp')).toEqual([]);
});

test('no project role, and no login of one, may create anything in any schema of the database', async () => {
  const { rows } = await db.pool.query<{ role: string; schema: string }>(
    `select r.rolname as role, n.nspname as schema from pg_roles as r cross join pg_namespace as n
      where r.rolname = any($1) and has_schema_privilege(r.oid, n.oid, 'create') and n.nspname !~ '^pg_(toast_)?temp_'`,
    [[roles.reader, roles.analyst, roles.loader, ...callers.map((caller) => caller.name)]],
  );
  expect(rows).toEqual([]);
});

test('the migrations revoke TEMPORARY on the database from PUBLIC: a login of a project role cannot create a temporary table', async () => {
  const tina = await logins.create('tina', [roles.analyst]);
  const pool = logins.pool(db.url, tina, 1);
  await expect(pool.query('create temp table t (key text)')).rejects.toThrow(/permission denied to create temporary tables/);
  // what the engine needs it still may: the owner's code makes its own working tables
  await expect(pool.query('call elt.refresh_marts()')).resolves.toBeTruthy();
});

test('the hostile caller finds a definer function that writes a temporary table by its bare name (the attack is real)', async () => {
  const canary = await createTestDatabase({ migrated: true });
  try {
    const caller = await logins.create('carl');
    const database = ident(new URL(canary.url).pathname.slice(1));
    await canary.pool.query(`grant connect, temporary on database ${database} to ${ident(caller)}`);
    await canary.pool.query(`create schema canary`);
    await canary.pool.query(`grant usage on schema canary to ${ident(caller)}`);
    await canary.pool.query(
      `create procedure canary.note(key text) language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
       begin
         if to_regclass('pg_temp.changed_keys_canary') is null then create temp table changed_keys_canary (key text); end if;
         insert into changed_keys_canary values (key);
       end $$`,
    );
    await canary.pool.query(`revoke execute on procedure canary.note(text) from public`);
    await canary.pool.query(`grant execute on procedure canary.note(text) to ${ident(caller)}`);
    const functions = (await executableFunctions(canary.pool, caller)).filter((fn) => fn.qualifiedName === 'canary.note');
    const result = await attack({
      admin: canary.pool,
      callerUrl: logins.url(canary.url, caller),
      caller,
      plant: 'temporary tables with triggers',
      functions,
      roles: [caller],
    });
    expect(result.findings.length).toBeGreaterThan(0);
    expect(result.findings[0]?.changed.join(' ')).toMatch(/role attributes: .*"rolsuper":false.*"rolsuper":true/);
    await canary.pool.query(`alter role ${ident(caller)} nosuperuser nocreaterole nocreatedb nobypassrls`);
  } finally {
    await canary.drop();
  }
});
