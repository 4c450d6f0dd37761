import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { envWithout } from '../helpers/run-cli';

test('elt db keeps the embedded Postgres up, prints a psql URL on stdout, and stops cleanly on Ctrl-C (SIGINT)', async () => {
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
  try {
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
    const client = new Client({ connectionString: url });
    await client.connect();
    // the server is migrated: the layers are there to look at
    const { rows } = await client.query(
      "select count(*)::int as n from information_schema.schemata where schema_name in ('raw', 'staging', 'marts')",
    );
    await client.end();
    expect(rows).toEqual([{ n: 3 }]);
    expect(stderr).toMatch(/embedded Postgres is up: psql "postgres:\/\//);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/embedded Postgres stopped/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 90_000);
