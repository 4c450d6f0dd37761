import { Client, type Pool } from 'pg';
import { connectPool, endPool } from '../db/connect';
import { startEmbeddedServer, type EmbeddedServer } from '../db/embedded-server';
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
 * embedded Postgres in ./.elt/ (started here and stopped by close(), or joined
 * when `elt db` already runs it), in the project's own database there.
 */
export async function openDatabase(env: NodeJS.ProcessEnv, log: Logger, database = 'postgres'): Promise<OpenDatabase> {
  const waitSeconds = resolveSetting('dbWaitSeconds', { env });
  const configured = resolveSetting('databaseUrl', { env });
  if (configured) {
    const pool = await connectPool(configured, { waitSeconds, log });
    return { pool, url: configured, embedded: false, close: () => endPool(pool) };
  }
  const server = await startEmbeddedServer(process.cwd(), log, { port: resolveSetting('embeddedPort', { env }) });
  try {
    const url = database === 'postgres' ? server.url : await ensureDatabase(server, database, log);
    const pool = await connectPool(url, { waitSeconds, log, stream: server.stream });
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
