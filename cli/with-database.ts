import type { Io } from './command';
import { openDatabase, type OpenDatabase } from './database';

/**
 * Runs `work` on the command's database (DATABASE_URL, or the embedded one: there,
 * the project's own database) and closes it afterwards.
 */
export async function withDatabase<T>(io: Io, work: (db: OpenDatabase) => Promise<T>, database?: string): Promise<T> {
  const db = await openDatabase(io.env, io.log, database);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}
