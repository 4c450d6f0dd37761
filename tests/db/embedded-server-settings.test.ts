import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { silentLogger } from '../../core/log';
import { startEmbeddedServer, type EmbeddedServer } from '../../db/embedded-server';
import { EMBEDDED_SERVER_SETTINGS } from '../../db/embedded/server-settings';

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
