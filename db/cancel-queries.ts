import type { Pool } from 'pg';
import { APPLICATION_NAME } from './connect';

/**
 * Cancels the queries this process's other sessions are running (an interrupt:
 * Ctrl-C or SIGTERM). Each fails with "canceling statement due to user request"
 * and its transaction rolls back, so nothing half-done is kept.
 */
export async function cancelOwnQueries(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(
    `select pg_cancel_backend(pid) from pg_stat_activity
      where application_name = $1 and pid <> pg_backend_pid() and state = 'active'`,
    [APPLICATION_NAME],
  );
  return rowCount ?? 0;
}
