import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runCli, type CliResult } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// `elt query` must not be able to change anything, whatever the text: every attack here
// runs through the CLI in a child process against the real test server (a superuser login,
// as on the embedded default), and the data, the tables and the file system are checked after.

let db: TestDatabase;
let cwd: string;
const suffix = randomBytes(4).toString('hex');
const readerRole = `elt_q_reader_${suffix}`;
const plainRole = `elt_q_plain_${suffix}`;

beforeAll(async () => {
  db = await createTestDatabase();
  cwd = mkdtempSync(join(tmpdir(), 'elt-query-ro-'));
  chmodSync(cwd, 0o755);
  const result = await runCli(['run', '--source', join(__dirname, '..', 'fixtures', 'lake-sample')], { env: env(), cwd });
  expect(result.code).toBe(0);
  // a reader (member of pg_read_all_data) and a plain user who may also delete raw rows
  await db.pool.query(`create role ${readerRole} login password 'reader' in role pg_read_all_data`);
  await db.pool.query(`create role ${plainRole} login password 'plain'`);
  await db.pool.query(`grant usage on schema raw to ${plainRole}; grant select, delete on raw.raw_events to ${plainRole}`);
  // the migrations take CONNECT from PUBLIC: each database lets in only whom it names
  await db.pool.query(`grant connect on database ${new URL(db.url).pathname.slice(1)} to ${readerRole}, ${plainRole}`);
}, 60_000);
afterAll(async () => {
  await db.drop();
  const admin = new Client({ connectionString: process.env.ELT_TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`drop role if exists ${readerRole}`);
  await admin.query(`drop role if exists ${plainRole}`);
  await admin.end();
});

const env = (url = db.url) => ({ ...process.env, DATABASE_URL: url });
const query = (sql: string, url?: string) => runCli(['query', sql, '--csv'], { env: env(url), cwd });
const urlAs = (user: string, password: string) => {
  const url = new URL(db.url);
  url.username = user;
  url.password = password;
  return url.toString();
};

/** What an attack could have changed: raw rows, tables, the refresh log, replication slots. */
async function state() {
  const { rows } = await db.pool.query<Record<string, unknown>>(`
    select (select count(*)::int from raw.raw_events) as raw_events,
           (select count(*)::int from raw.loads) as loads,
           (select count(*)::int from pg_class where relnamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)) as relations,
           (select count(*)::int from elt.refresh_log) as refreshes,
           (select count(*)::int from pg_replication_slots) as slots,
           (select count(*)::int from pg_largeobject_metadata) as large_objects`);
  return rows[0];
}

/** One line `elt: error: ...` on stderr, exit 2, nothing on stdout. */
function expectRefused(result: CliResult, message: RegExp) {
  expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message)]);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
}

describe('more than one statement is refused by Postgres itself (extended protocol), as a usage error', () => {
  test.each([
    ['commit, then delete', 'commit; delete from raw.raw_events where load_id = (select min(load_id) from raw.raw_events)'],
    ['select, commit, then create table', 'select 1; commit; create table public.x(i int)'],
    ['set transaction read write, then delete and commit', 'set transaction read write; delete from raw.raw_events; commit'],
    [
      'set_config transaction_read_only off, then delete',
      "select set_config('transaction_read_only', 'off', false); delete from raw.raw_events; commit",
    ],
    ['reset role, then delete and commit', 'reset role; commit; delete from raw.raw_events'],
  ])('%s changes nothing', async (_name, sql) => {
    const before = await state();
    expectRefused(await query(sql), /^elt: error: elt query runs one statement; /);
    expect(await state()).toEqual(before);
    expect((await db.pool.query(`select to_regclass('public.x') as x`)).rows).toEqual([{ x: null }]);
  });
});

describe('a single hostile statement can neither change data nor run programs nor touch server files', () => {
  const marker = () => join(tmpdir(), `elt-query-attack-${randomBytes(6).toString('hex')}`);

  test('copy ... to program does not run the program', async () => {
    const file = marker();
    const before = await state();
    // Postgres 16+ says "permission denied", 15 "must be superuser or have privileges of ..."
    expectRefused(await query(`copy (select 1) to program 'touch ${file}'`), /^elt: error: query failed: (permission denied|must be superuser)/);
    expect(existsSync(file)).toBe(false);
    expect(await state()).toEqual(before);
  });

  test('copy ... to a server file does not write it', async () => {
    const file = marker();
    expectRefused(await query(`copy (select 1) to '${file}'`), /^elt: error: query failed: (permission denied|must be superuser)/);
    expect(existsSync(file)).toBe(false);
  });

  test('a do block that takes the superuser role back cannot run a program', async () => {
    const file = marker();
    const before = await state();
    const sql = `do $$ begin perform set_config('role', 'postgres', true); execute 'copy (select 1) to program ''touch ${file}'''; end $$`;
    expectRefused(await query(sql), /^elt: error: query failed: permission denied/);
    expect(existsSync(file)).toBe(false);
    expect(await state()).toEqual(before);
  });

  test('pg_read_file cannot read server files, not even after set_config of role or session_authorization', async () => {
    expectRefused(await query("select pg_read_file('/etc/passwd')"), /^elt: error: query failed: permission denied for function pg_read_file/);
    for (const setting of ['role', 'session_authorization']) {
      const sql = `select set_config('${setting}', 'postgres', true), query_to_xml('select pg_read_file(''/etc/passwd'')', true, false, '')`;
      const result = await query(sql);
      expectRefused(result, /^elt: error: query failed: permission denied/);
      expect(result.stdout).not.toMatch(/root:/);
    }
  });

  test('lo_export cannot write a server file', async () => {
    const file = marker();
    const before = await state();
    expectRefused(await query(`select lo_export(lo_from_bytea(0, 'x'), '${file}')`), /^elt: error: query failed: /);
    expect(existsSync(file)).toBe(false);
    expect(await state()).toEqual(before);
  });

  test('pg_terminate_backend cannot end another session, not even after set_config of role', async () => {
    const victim = new Client({ connectionString: db.url });
    victim.on('error', () => undefined);
    await victim.connect();
    try {
      const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
      const pid = (rows[0] as { pid: number }).pid;
      expectRefused(
        await query(`select pg_terminate_backend(${pid})`),
        /^elt: error: query failed: (permission denied to terminate process|must be a superuser to terminate superuser process)/,
      );
      expectRefused(
        await query(`select set_config('role', 'postgres', true), pg_terminate_backend(${pid})`),
        /^elt: error: query failed: permission denied/,
      );
      expect((await victim.query('select 1 as alive')).rows).toEqual([{ alive: 1 }]);
    } finally {
      await victim.end().catch(() => undefined);
    }
  });

  test('a replication slot cannot be created, not even after set_config of role', async () => {
    const slot = `elt_attack_${suffix}`;
    try {
      expectRefused(
        await query(`select set_config('role', 'postgres', true), pg_create_physical_replication_slot('${slot}')`),
        /^elt: error: query failed: permission denied/,
      );
      expect((await db.pool.query('select count(*)::int as n from pg_replication_slots where slot_name = $1', [slot])).rows).toEqual([{ n: 0 }]);
    } finally {
      await db.pool.query('select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1', [slot]);
    }
  });

  test('call elt.refresh_marts() refreshes nothing', async () => {
    const before = await state();
    expectRefused(await query('call elt.refresh_marts()'), /^elt: error: query failed: /);
    expect(await state()).toEqual(before);
  });

  test('set_config of transaction_read_only cannot make the transaction writable', async () => {
    expectRefused(
      await query("select set_config('transaction_read_only', 'off', false)"),
      /^elt: error: query failed: transaction read-write mode must be set before any query/,
    );
  });

  test('a data-modifying statement is refused by the read-only transaction', async () => {
    const before = await state();
    expectRefused(
      await query('with gone as (delete from raw.raw_events returning 1) select count(*) from gone'),
      /^elt: error: query failed: cannot execute \w+ in a read-only transaction/,
    );
    expectRefused(await query('create table public.x(i int)'), /^elt: error: query failed: cannot execute CREATE TABLE in a read-only transaction/);
    expect(await state()).toEqual(before);
  });
});

describe('who the statement runs as', () => {
  test('a superuser login runs it as a temporary login that can only read, dropped afterwards', async () => {
    const result = await query(
      'select session_user as login, (select rolsuper from pg_roles where rolname = session_user) as superuser, count(*) as raw_events from raw.raw_events',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, line] = result.stdout.trimEnd().split('\n');
    expect(header).toBe('login,superuser,raw_events');
    const [login, superuser, count] = (line as string).split(',');
    expect(login).toMatch(/^elt_query_[0-9a-f]+$/);
    expect([superuser, count]).toEqual(['false', '30']);
    expect((await db.pool.query('select count(*)::int as n from pg_roles where rolname = $1', [login])).rows).toEqual([{ n: 0 }]);
  });

  test('a member of pg_read_all_data runs it as pg_read_all_data', async () => {
    const result = await query('select current_user as role, count(*) as raw_events from raw.raw_events', urlAs(readerRole, 'reader'));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('role,raw_events\npg_read_all_data,30\n');
  });

  test('a plain user who may delete still cannot: one read-only statement, and selects work as before', async () => {
    const url = urlAs(plainRole, 'plain');
    const before = await state();
    expectRefused(await query('delete from raw.raw_events', url), /^elt: error: query failed: cannot execute DELETE in a read-only transaction/);
    expectRefused(await query('commit; delete from raw.raw_events', url), /^elt: error: elt query runs one statement; /);
    expect(await state()).toEqual(before);
    const result = await query('select current_user = session_user as own_login, count(*) as raw_events from raw.raw_events', url);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('own_login,raw_events\ntrue,30\n');
  });
});

test('- reads the query from standard input', async () => {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(__dirname, '..', '..', 'cli', 'main.ts'), 'query', '-', '--csv'], {
    cwd,
    env: env(),
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stdin.end('select count(*) as raw_events\nfrom raw.raw_events\n');
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect({ code, stdout }).toEqual({ code: 0, stdout: 'raw_events\n30\n' });
});

test('no query is a usage error', async () => {
  const result = await runCli(['query', '  '], { env: env(), cwd });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^elt: error: no query: elt query "select \.\.\."\n$/);
});

afterAll(() => rmSync(cwd, { recursive: true, force: true }));
