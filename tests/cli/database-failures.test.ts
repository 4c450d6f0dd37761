import { runInProcess } from '../helpers/run-in-process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { APPLICATION_NAME } from '../../db/connect';
import { generateLake } from '../../generator/generate-lake';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/test-database';

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');

/** `elt <args>` in this process (the CLI's spawn is not what is tested): its exit code and what it printed. */
async function elt(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runInProcess(args, { ...process.env, DATABASE_URL: databaseUrl, ELT_DEBUG: '' });
}

/** The error lines of a run's stderr. */
const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('elt: error'));

/** Waits until this process's CLI session waits for a lock, and returns its pid. */
async function waitingSession(db: TestDatabase): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { rows } = await db.pool.query<{ pid: number }>(
      "select pid from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'",
      [APPLICATION_NAME],
    );
    if (rows[0]) return rows[0].pid;
    if (Date.now() > deadline) throw new Error('the CLI never waited for the lock');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

test('elt refresh before any build: exit 5 and one line saying to run elt build', async () => {
  const result = await elt(['refresh'], db.url);
  expect(errorLines(result.stderr)).toEqual([
    expect.stringMatching(/^elt: error: no marts built yet \(marts\.\w+(, marts\.\w+)* do not exist\): run elt build first$/),
  ]);
  expect(result.code).toBe(5);
});

test('the CLI session ended by pg_terminate_backend mid-refresh: exit 3 and one line naming the step', async () => {
  expect((await elt(['run', '--source', SAMPLE, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-dbfail-'))], db.url)).code).toBe(0);
  const holder = await db.pool.connect();
  try {
    await holder.query('begin');
    await holder.query('lock table marts.article_performance in access exclusive mode');
    const running = elt(['refresh'], db.url);
    const pid = await waitingSession(db);
    await holder.query('select pg_terminate_backend($1)', [pid]);
    const result = await running;
    expect(errorLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^elt: error: refresh: the database ended the session \(57P01 admin_shutdown\): .*terminating connection due to administrator command$/,
      ),
    ]);
    expect(result.code).toBe(3);
  } finally {
    await holder.query('rollback');
    holder.release();
  }
});

/** A TCP proxy to the test server that can vanish (every connection cut, the port closed), as a server that goes away. */
async function vanishingProxy(): Promise<{ url: string; vanish(): void }> {
  const target = new URL(db.url);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    vanish: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

test('the database server gone mid-run (connections cut, nothing listening): exit 3 and one line naming the step', async () => {
  const proxy = await vanishingProxy();
  expect((await elt(['build'], proxy.url)).code).toBe(0);
  const holder = await db.pool.connect();
  try {
    await holder.query('begin');
    await holder.query('lock table marts.article_performance in access exclusive mode');
    const running = elt(['refresh'], proxy.url);
    await waitingSession(db);
    proxy.vanish();
    const result = await running;
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(/^elt: error: refresh: the connection to the database was lost/)]);
    expect(result.code).toBe(3);
  } finally {
    await holder.query('rollback');
    holder.release();
  }
});

/** The OS account the test server runs as (the owner of its data directory). */
async function serverAccount(): Promise<{ uid: number; gid: number }> {
  const { rows } = await db.pool.query<{ dir: string }>('select current_setting($1) as dir', ['data_directory']);
  const stat = statSync((rows[0] as { dir: string }).dir);
  return { uid: stat.uid, gid: stat.gid };
}

test('the disk full under a load (a 2 MB tmpfs as the default tablespace): exit 3 and one line naming the object', async () => {
  if (process.getuid?.() !== 0) {
    process.stderr.write('database-failures: the disk-full case skipped: mounting a tmpfs needs root\n');
    return;
  }
  const mountPoint = mkdtempSync(join(tmpdir(), 'elt-disk-full-'));
  const { uid, gid } = await serverAccount();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=2m,uid=${uid},gid=${gid},mode=0700`, 'tmpfs', mountPoint]);
  const tablespace = `elt_full_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const database = new URL(db.url).pathname.slice(1);
  try {
    await db.pool.query(`create tablespace ${tablespace} location '${mountPoint}'`);
    await db.pool.query(`alter database ${database} set default_tablespace = ${tablespace}`);
    const lake = mkdtempSync(join(tmpdir(), 'elt-disk-full-lake-'));
    await generateLake({ outDir: lake, days: 1, eventsPerDay: 20_000, seed: 12 });
    const result = await elt(['load', '--source', lake], db.url);
    expect(errorLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^elt: error: load: \[1\/1\] file:\/\/\/.+\/2019-02-15\.tsv: the database server is out of disk space \(53100 disk_full\): could not extend file .+: No space left on device$/,
      ),
    ]);
    expect(result.code).toBe(3);
    // the ledger keeps the failed attempt and why (its update fits in a page already there)
    const { rows } = await db.pool.query<{ status: string; error: string }>('select status, error from raw.loads');
    expect(rows).toEqual([{ status: 'failed', error: expect.stringContaining('No space left on device') }]);
  } finally {
    await db.drop();
    db = await createTestDatabase(); // for afterEach
    const admin = new Client({ connectionString: serverUrl() });
    await admin.connect();
    try {
      await admin.query(`drop tablespace if exists ${tablespace}`);
    } finally {
      await admin.end();
      execFileSync('umount', [mountPoint]);
      rmdirSync(mountPoint);
    }
  }
});
