import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { containerArgv, environmentOf, readComposeServices, REPO_ROOT, type ComposeService } from '../helpers/compose-file';
import { runProcess } from '../helpers/run-cli';
import { startS3Server, type TestS3Server } from '../helpers/s3-server';
import { serverUrl } from '../helpers/test-database';

// docker-compose up, without a Docker engine: each one-shot service's exact
// command (entrypoint + command, from docker-compose.yml and the Dockerfile) runs
// here with exactly the environment compose gives it. Only what names another
// container changes: the host:port of "postgres" and "minio" (and the database
// name, to keep tests apart) point at the embedded Postgres and a local S3
// server, which accept the same credentials as the compose services. A variable
// renamed in one place and not the other makes this test fail.

const services = readComposeServices();
let s3: TestS3Server;
let databaseUrl: string;
let databaseName: string;
let outDir: string;
/** docker-compose starts the etl container as root; only root can stand in for that here */
const asRoot = process.geteuid?.() === 0;
/** a host user who is neither root nor the image's "node" (uid 1000) */
const HOST_UID = 4321;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a value means inside the test instead of inside the compose network. */
function localize(value: string): string {
  return value
    .replaceAll('http://minio:9000', s3.endpoint)
    .replace(/^postgres:\/\/([^@]+)@postgres:5432\/[A-Za-z0-9_]+$/, (_all, credentials: string) => {
      const local = new URL(databaseUrl);
      return `postgres://${credentials}@${local.host}/${databaseName}`;
    });
}

/** A fresh folder for the host's ./out, owned by `uid` (when the test runs as root). */
const hostOuts: string[] = [];
function hostOut(uid: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'elt-compose-out-'));
  hostOuts.push(dir);
  chmodSync(dir, 0o755);
  if (asRoot) chownSync(dir, uid, uid);
  return dir;
}

/** Runs a service's container command in the repo (the image's WORKDIR holds the same layout), with `out` as the host's ./out. */
function runService(service: ComposeService, out = outDir): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const [name, value] of Object.entries(environmentOf(service))) env[name] = localize(value);
  // a bind-mounted folder: its path inside the container becomes a temp folder here
  for (const volume of service.volumes ?? []) {
    const containerPath = volume.split(':')[1] as string;
    for (const [name, value] of Object.entries(env)) if (value === containerPath) env[name] = out;
  }
  const [program, ...args] = containerArgv(service);
  return runProcess(program as string, args, { cwd: REPO_ROOT, env });
}

beforeAll(async () => {
  // the host user's ./out: neither root's nor uid 1000's (the image's "node")
  outDir = hostOut(HOST_UID);
  s3 = await startS3Server();
  // the local S3 server accepts MinIO's root credentials, as the minio service does
  const minio = environmentOf(services.minio as ComposeService);
  const accounts = createRequire(__filename)('s3rver/lib/models/account') as {
    DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
  };
  accounts.DUMMY_ACCOUNT.createKeyPair(minio.MINIO_ROOT_USER as string, minio.MINIO_ROOT_PASSWORD as string);
  // the database and role the postgres service creates from its environment
  // (the official image makes POSTGRES_USER a superuser)
  const postgres = environmentOf(services.postgres as ComposeService);
  databaseName = `elt_compose_${process.pid}`;
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`do $$ begin
      if not exists (select from pg_roles where rolname = '${postgres.POSTGRES_USER}') then
        create role "${postgres.POSTGRES_USER}" login superuser password '${postgres.POSTGRES_PASSWORD}';
      end if;
    end $$`);
  await admin.query(`create database ${databaseName} owner "${postgres.POSTGRES_USER}"`);
  await admin.end();
  databaseUrl = serverUrl();
}, 60_000);

afterAll(async () => {
  for (const dir of hostOuts) rmSync(dir, { recursive: true, force: true });
  await s3?.stop();
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`drop database if exists ${databaseName} with (force)`);
  await admin.end();
});

test('the compose file wires etl to postgres and the seeded lake, and runs the image default command', () => {
  expect(Object.keys(services).sort()).toEqual(['etl', 'minio', 'postgres', 'seed-lake']);
  expect(containerArgv(services.etl as ComposeService)).toEqual(['sh', 'bin/run-as-output-owner.sh', 'node', 'bin/elt.js', 'run']);
  expect(environmentOf(services.etl as ComposeService).ELT_SOURCE).toMatch(/^s3:\/\//);
});

test('docker-compose up, service by service: seed-lake uploads the demo lake, then etl exits 0 with the marts built and the summary in an ./out of uid 4321', async () => {
  const seed = await runService(services['seed-lake'] as ComposeService);
  expect(seed.stderr).not.toMatch(/error/);
  expect(seed.code).toBe(0);
  expect(seed.stdout).toMatch(/uploaded 5 files .* to s3:\/\/demo-lake\/lake\//);

  const etl = await runService(services.etl as ComposeService);
  expect(etl.stderr).not.toMatch(/elt: error/);
  expect(etl.code).toBe(0);
  expect(etl.stdout).toMatch(/load\s+5 files: 5 loaded, 0 skipped, 0 failed/);

  const local = new URL(databaseUrl);
  const postgres = environmentOf(services.postgres as ComposeService);
  const pool = new Pool({ connectionString: `postgres://${postgres.POSTGRES_USER}:${postgres.POSTGRES_PASSWORD}@${local.host}/${databaseName}` });
  try {
    const { rows } = await pool.query<{ source_uri: string }>("select source_uri from raw.loads where status = 'loaded' order by 1");
    expect(rows.map((row) => row.source_uri)).toEqual([15, 16, 17, 18, 19].map((day) => `s3://demo-lake/lake/2019-02-${day}.tsv`));
    for (const mart of ['marts.article_performance', 'marts.user_performance', 'marts.category_ctr_daily']) {
      const { rows: counted } = await pool.query<{ n: number }>(`select count(*)::int as n from ${mart}`);
      expect([mart, (counted[0]?.n ?? 0) > 0]).toEqual([mart, true]);
    }
  } finally {
    await pool.end();
  }
  // the summary lands in the mounted folder, written as the folder's owner (uid 4321 here, not 1000)
  expect(existsSync(join(outDir, 'summary.txt'))).toBe(true);
  expect(readFileSync(join(outDir, 'summary.txt'), 'utf8')).toBe(etl.stdout);
  expect(statSync(join(outDir, 'summary.txt')).uid).toBe(statSync(outDir).uid);
  expect(etl.stderr).not.toMatch(/cannot write|no chart|no docs site/);

  // docker-compose up a second time, by root (its ./out is root's): nothing new to load, the summary written
  const rootOut = hostOut(0);
  const again = await runService(services.etl as ComposeService, rootOut);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/load\s+5 files: 0 loaded, 5 skipped/);
  expect(readFileSync(join(rootOut, 'summary.txt'), 'utf8')).toBe(again.stdout);
  expect(statSync(join(rootOut, 'summary.txt')).uid).toBe(statSync(rootOut).uid);
}, 120_000);

/** ./out as a host could hand it over, in a way its owner cannot write. */
const unwritable: [string, () => string][] = [
  [
    'read-only for its owner uid 4321 (mode 0555)',
    () => {
      const dir = hostOut(HOST_UID);
      chmodSync(dir, 0o555);
      return dir;
    },
  ],
  [
    "root's and read-only (mode 0555): root in the container keeps no capability to write past the mode",
    () => {
      const dir = hostOut(0);
      chmodSync(dir, 0o555);
      return dir;
    },
  ],
  [
    'a regular file, not a folder',
    () => {
      const file = join(hostOut(HOST_UID), 'out');
      writeFileSync(file, '');
      if (asRoot) chownSync(file, HOST_UID, HOST_UID);
      return file;
    },
  ],
];

test.each(unwritable)('etl with an ./out %s stops before it runs: one line on stderr, exit 2, never 0 with out/ empty', async (_case, make) => {
  const out = make();
  const etl = await runService(services.etl as ComposeService, out);
  expect(etl.stdout).toBe('');
  const path = out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expect(etl.stderr).toMatch(new RegExp(`^elt: error: cannot write the output folder ${path} as uid \\d+ \\([^\\n]*\\): [^\\n]+\\n$`));
  expect(etl.code).toBe(2);
});
