import type { Pool } from 'pg';
import { connectPool } from '../db/connect';
import { startEmbeddedServer } from '../db/embedded-server';
import type { Logger } from './log';

export interface OpenDatabase {
  pool: Pool;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * The database every command works on: DATABASE_URL when set, else the
 * embedded Postgres in ./.elt/ (started here and stopped by close(), or joined
 * when `elt db` already runs it).
 */
export async function openDatabase(env: NodeJS.ProcessEnv, log: Logger): Promise<OpenDatabase> {
  const waitSeconds = Number(env.ELT_DB_WAIT_SECONDS ?? 10);
  const configured = env.DATABASE_URL;
  if (configured) {
    const pool = await connectPool(configured, { waitSeconds, log });
    return { pool, url: configured, embedded: false, close: () => pool.end() };
  }
  const server = await startEmbeddedServer(process.cwd(), log);
  try {
    const pool = await connectPool(server.url, { waitSeconds, log });
    return {
      pool,
      url: server.url,
      embedded: true,
      close: async () => {
        await pool.end();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
