// Starts the real Postgres servers the tests run on, unless DATABASE_URL points at one:
//   - the project's own embedded Postgres 18 (db/embedded-server.ts, loaded through tsx), and
//   - Debian's Postgres 15 (package postgresql-15), when installed, for the "postgres-15"
//     project of jest.config.js: the model tests and end-to-end runs, a second time.
// Each in a temporary folder, with durability off for speed. The URLs (with their random
// passwords) reach the tests, and the CLI processes they spawn, through process.env.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { POSTGRES_15_BIN } from './postgres-15.cjs';

const silent = { info: () => {}, warn: () => {}, error: (message) => console.error(`[test postgres] ${message}`) };
const FAST = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

async function startServer(startEmbeddedServer, name, binDir) {
  const root = await mkdtemp(join(tmpdir(), `elt-test-${name}-`));
  // as root, the server runs as the unprivileged "postgres" account, which must pass through
  await chmod(root, 0o755);
  const server = await startEmbeddedServer(root, silent, { postgresFlags: FAST, binDir });
  return { server, root };
}

export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.ELT_TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const { startEmbeddedServer } = await tsImport('../../db/embedded-server.ts', import.meta.url);
  const started = [await startServer(startEmbeddedServer, 'pg18')];
  process.env.ELT_TEST_DATABASE_URL = started[0].server.url;
  if (existsSync(join(POSTGRES_15_BIN, 'postgres'))) {
    started.push(await startServer(startEmbeddedServer, 'pg15', POSTGRES_15_BIN));
    process.env.ELT_TEST_PG15_URL = started[1].server.url;
  }
  globalThis.__ELT_TEST_PG__ = started;
}
