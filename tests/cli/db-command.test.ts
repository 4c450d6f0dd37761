import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { envWithout } from '../helpers/run-cli';

interface EltDb {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `elt db` in a fresh folder through the tsx CLI, as npm run elt does, and waits for its URL. */
async function startEltDb(): Promise<EltDb> {
  const cwd = mkdtempSync(join(tmpdir(), 'elt-db-'));
  chmodSync(cwd, 0o755); // the server runs as user "postgres" when tests run as root
  // through the tsx CLI, as npm run elt does: it relays Ctrl-C to the CLI and exits with its code
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(__dirname, '..', '..', 'cli', 'main.ts'), 'db'], {
    cwd,
    env: envWithout('DATABASE_URL'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${stderr}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('postgres://'));
      if (line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
  });
  return { child, url, stderr: () => stderr, exited };
}

async function countLayers(url: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "select count(*)::int as n from information_schema.schemata where schema_name in ('raw', 'staging', 'marts')",
    );
    return rows;
  } finally {
    await client.end();
  }
}

test('elt db keeps the embedded Postgres up, prints a psql URL on stdout, and stops cleanly on Ctrl-C (SIGINT)', async () => {
  const db = await startEltDb();
  try {
    // the server is migrated: the layers are there to look at
    expect(await countLayers(db.url)).toEqual([{ n: 3 }]);
    expect(db.stderr()).toMatch(/embedded Postgres is up: psql "postgres:\/\//);
    db.child.kill('SIGINT');
    expect(await db.exited).toBe(0);
    expect(db.stderr()).toMatch(/embedded Postgres stopped/);
  } finally {
    if (db.child.exitCode === null) db.child.kill('SIGKILL');
  }
}, 90_000);

test('elt db is still up after its idle pool connections have closed (nothing else keeps Node running while it waits for Ctrl-C)', async () => {
  const db = await startEltDb();
  try {
    // node-postgres closes idle pool clients after 10 s; the command must outlive them
    await new Promise((resolve) => setTimeout(resolve, 13_000));
    expect(db.child.exitCode).toBeNull();
    expect(await countLayers(db.url)).toEqual([{ n: 3 }]);
    db.child.kill('SIGINT');
    expect(await db.exited).toBe(0);
  } finally {
    if (db.child.exitCode === null) db.child.kill('SIGKILL');
  }
}, 90_000);
