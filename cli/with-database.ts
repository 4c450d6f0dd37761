import { cancelOwnQueries } from '../db/cancel-queries';
import type { ExitCodeValue } from '../core/errors';
import type { Io } from './command';
import { openDatabase, type OpenDatabase } from './database';

/**
 * Runs `work` on the command's database (DATABASE_URL, or the embedded one: there,
 * the project's own database) and closes it afterwards. An interrupt cancels the
 * queries in flight, so `work` fails at once and its transactions roll back.
 */
export async function withDatabase<T>(
  io: Io,
  work: (db: OpenDatabase) => Promise<T>,
  database?: string,
  options: { onlyReads?: ExitCodeValue } = {},
): Promise<T> {
  io.signal.throwIfAborted();
  const db = await openDatabase(io.env, io.log, database, io.signal, { ...(io.home ? { home: io.home } : {}), ...options });
  const onAbort = () => void cancelOwnQueries(db.pool).catch(() => undefined);
  io.signal.addEventListener('abort', onAbort, { once: true });
  try {
    io.signal.throwIfAborted();
    return await work(db);
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    await db.close();
  }
}
