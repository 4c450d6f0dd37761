// Starts one real Postgres for the whole test run, unless DATABASE_URL points at one:
// the project's own embedded server (db/embedded-server.ts, loaded through tsx), in a
// temporary folder, with durability off for speed. The URL (with its random password)
// reaches the tests, and the CLI processes they spawn, through process.env.
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

const silent = { info: () => {}, warn: () => {}, error: (message) => console.error(`[test postgres] ${message}`) };

export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.ELT_TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const { startEmbeddedServer } = await tsImport('../../db/embedded-server.ts', import.meta.url);
  const root = await mkdtemp(join(tmpdir(), 'elt-test-pg-'));
  // as root, the server runs as the unprivileged "postgres" account, which must pass through
  await chmod(root, 0o755);
  const server = await startEmbeddedServer(root, silent, {
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  globalThis.__ELT_TEST_PG__ = { server, root };
  process.env.ELT_TEST_DATABASE_URL = server.url;
}
