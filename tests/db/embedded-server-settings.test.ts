import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { silentLogger } from '../../core/log';
import { startEmbeddedServer, type EmbeddedServer } from '../../db/embedded-server';
import { EMBEDDED_SERVER_SETTINGS, initdbFlags } from '../../db/embedded/server-settings';

// The embedded server chooses settings for itself (db/embedded/server-settings.ts): a full
// build's tables, created and filled in the build's one transaction, are written once at
// commit rather than through the WAL too. Counts of WAL bytes, not times.

const FAST = ['-c', 'fsync=off', '-c', 'synchronous_commit=off'];
const cwd = mkdtempSync(join(tmpdir(), 'elt-embedded-settings-'));
chmodSync(cwd, 0o755); // as root, the server's account must pass through the test's folder

async function withClient<T>(server: EmbeddedServer, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: server.url, stream: server.stream });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const settingsOf = (client: Client) =>
  client
    .query<{ name: string; setting: string }>('select name, setting from pg_settings where name = any($1)', [
      EMBEDDED_SERVER_SETTINGS.map((s) => s.name),
    ])
    .then(({ rows }) => Object.fromEntries(rows.map((row) => [row.name, row.setting])));

/** WAL bytes `sql` wrote, and the size of `table` after it. */
async function walOf(client: Client, sql: string, table: string): Promise<{ walBytes: number; tableBytes: number }> {
  const { rows: before } = await client.query<{ lsn: string }>('select pg_current_wal_lsn() as lsn');
  await client.query(sql);
  const { rows } = await client.query<{ wal: string; size: string }>(
    'select pg_wal_lsn_diff(pg_current_wal_lsn(), $1) as wal, pg_total_relation_size($2::regclass) as size',
    [before[0]?.lsn, table],
  );
  return { walBytes: Number(rows[0]?.wal), tableBytes: Number(rows[0]?.size) };
}

const ROWS = 'select g as id, md5(g::text) as a, md5((g * 7)::text) as b from generate_series(1, 100000) as g';

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

test('the embedded server starts with the settings it chooses for itself, and a table created and filled in one transaction writes almost no WAL', async () => {
  const server = await startEmbeddedServer(cwd, silentLogger, { postgresFlags: FAST });
  try {
    await withClient(server, async (client) => {
      expect(await settingsOf(client)).toEqual(Object.fromEntries(EMBEDDED_SERVER_SETTINGS.map((s) => [s.name, s.value])));
      // as a full build fills an incremental model: created empty, filled, indexed, in one transaction
      const inOne = await walOf(
        client,
        `begin; create table built_here as ${ROWS} with no data; insert into built_here ${ROWS}; create index on built_here (a); commit`,
        'built_here',
      );
      // as a load or a refresh fills a table that already exists: every row goes through the WAL
      await client.query(`create table existing as ${ROWS} with no data`);
      const existing = await walOf(client, `insert into existing ${ROWS}; create index on existing (a)`, 'existing');
      expect(existing.walBytes).toBeGreaterThan(existing.tableBytes * 0.5);
      expect(inOne.walBytes).toBeLessThan(inOne.tableBytes * 0.05);
    });
  } finally {
    await server.stop();
  }
}, 120_000);

test('the first read of rows written before a checkpoint writes almost no WAL (no data checksums: hint bits need no full-page image)', async () => {
  const server = await startEmbeddedServer(cwd, silentLogger, { postgresFlags: FAST });
  try {
    await withClient(server, async (client) => {
      expect((await client.query<{ data_checksums: string }>('show data_checksums')).rows[0]?.data_checksums).toBe('off');
      // as the build reads raw.raw_events loaded before a checkpoint (at a year, the load writes gigabytes of WAL: many checkpoints)
      await client.query(`create table loaded as ${ROWS} with no data`);
      await client.query(`insert into loaded ${ROWS}`);
      await client.query('checkpoint');
      const firstRead = await walOf(client, 'select count(*) from loaded', 'loaded');
      // as the data tests read a table the build made in its one transaction (written at commit, never through the WAL)
      await client.query(`begin; create table built_and_read as ${ROWS} with no data; insert into built_and_read ${ROWS}; commit`);
      await client.query('checkpoint');
      const readAfterBuild = await walOf(client, 'select count(*) from built_and_read', 'built_and_read');
      expect(firstRead.walBytes).toBeLessThan(firstRead.tableBytes * 0.05);
      expect(readAfterBuild.walBytes).toBeLessThan(readAfterBuild.tableBytes * 0.05);
    });
  } finally {
    await server.stop();
  }
}, 120_000);

test('initdb is asked for no data checksums only where it knows the flag (18 on; before, none is the default)', () => {
  expect(initdbFlags('initdb (PostgreSQL) 18.4')).toEqual(['--no-data-checksums']);
  expect(initdbFlags('initdb (PostgreSQL) 19beta1')).toEqual(['--no-data-checksums']);
  expect(initdbFlags('initdb (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toEqual([]);
  expect(initdbFlags('')).toEqual([]);
});

test("a caller's flags win over the settings the embedded server chooses (and with wal_level=replica the same transaction's rows do go through the WAL)", async () => {
  const server = await startEmbeddedServer(cwd, silentLogger, { postgresFlags: [...FAST, '-c', 'wal_level=replica', '-c', 'max_wal_senders=3'] });
  try {
    await withClient(server, async (client) => {
      expect(await settingsOf(client)).toEqual({ wal_level: 'replica', max_wal_senders: '3' });
      await client.query('drop table if exists built_here');
      const inOne = await walOf(
        client,
        `begin; create table built_here as ${ROWS} with no data; insert into built_here ${ROWS}; create index on built_here (a); commit`,
        'built_here',
      );
      expect(inOne.walBytes).toBeGreaterThan(inOne.tableBytes * 0.5);
    });
  } finally {
    await server.stop();
  }
}, 120_000);
