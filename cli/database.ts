import { Client, type Pool } from 'pg';
import { connectPool, endPool } from '../db/connect';
import { hasEmbeddedCluster, startEmbeddedServer, type EmbeddedServer } from '../db/embedded-server';
import { EltError, type ExitCodeValue } from '../core/errors';
import type { Logger } from '../core/log';
import { resolveSetting } from '../core/settings/resolve-settings';

/** The URL of `database` on the server at `serverUrl`, created when missing (each project has its own). */
async function ensureDatabase(server: EmbeddedServer, database: string, log: Logger): Promise<string> {
  const admin = new Client({ connectionString: server.url, stream: server.stream });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) {
      await admin.query(`create database "${database}"`);
      log.info(`created the database ${database} in the embedded Postgres`);
    }
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface OpenDatabase {
  pool: Pool;
  url: string;
  embedded: boolean;
  /** the embedded server, when the database is the embedded default */
  server?: EmbeddedServer;
  close(): Promise<void>;
}

/**
 * The database every command works on: DATABASE_URL when set, else the
 * embedded Postgres in <home>/.elt/ (started here and stopped by close(), or joined
 * when `elt db` already runs it), in the project's own database there.
 */
export async function openDatabase(
  env: NodeJS.ProcessEnv,
  log: Logger,
  database = 'postgres',
  signal?: AbortSignal,
  where: { home?: string; onlyReads?: ExitCodeValue } = {},
): Promise<OpenDatabase> {
  const waitSeconds = resolveSetting('dbWaitSeconds', { env });
  const configured = resolveSetting('databaseUrl', { env });
  if (configured) {
    const pool = await connectPool(configured, { waitSeconds, log, signal });
    return { pool, url: configured, embedded: false, close: () => endPool(pool) };
  }
  const home = where.home ?? process.cwd();
  const port = resolveSetting('embeddedPort', { env }); // a bad setting is refused before anything else
  // a command that only reads, on a home that never ran: nothing to read, and no empty cluster started for it
  if (where.onlyReads !== undefined && !hasEmbeddedCluster(home)) {
    throw new EltError(
      `no database yet: ${home} has no .elt/ (run elt run there first, name the project's folder with --project-dir or ELT_PROJECT_DIR, or set DATABASE_URL)`,
      where.onlyReads,
    );
  }
  const server = await startEmbeddedServer(home, log, { port });
  try {
    const url = database === 'postgres' ? server.url : await ensureDatabase(server, database, log);
    const pool = await connectPool(url, { waitSeconds, log, stream: server.stream, signal });
    return {
      pool,
      url,
      embedded: true,
      close: async () => {
        await endPool(pool);
        await server.stop();
      },
      server,
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
