import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a dedicated client, holding a transaction-level
 * advisory lock named `lockName`, so two processes never do the same work at once.
 * Waits at most `lockTimeoutSeconds` for the lock. Rolls back on any error and
 * releases a broken client instead of returning it to the pool.
 *
 * @example await withLockedTransaction(pool, 'elt:migrate', async (client) => client.query('...'));
 */
export async function withLockedTransaction<T>(
  pool: Pool,
  lockName: string,
  work: (client: PoolClient) => Promise<T>,
  lockTimeoutSeconds = 120,
): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('begin');
    await client.query(`select set_config('lock_timeout', $1, true)`, [`${lockTimeoutSeconds}s`]);
    await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [lockName]);
    await client.query(`select set_config('lock_timeout', '0', true)`);
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    // a client whose rollback failed may be broken: destroy it rather than reuse it
    client.release(failure && !isQueryError(failure) ? failure : undefined);
  }
}

/** True for an error the server reported (the connection itself is fine). */
function isQueryError(err: Error): boolean {
  return 'severity' in err;
}
