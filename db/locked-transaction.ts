import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on `client`, holding a transaction-level
 * advisory lock named `lockName`, so two processes never do the same work at
 * once. Waits at most `lockTimeoutSeconds` for the lock; rolls back on any error.
 */
export async function lockedTransaction<T>(
  client: PoolClient,
  lockName: string,
  work: () => Promise<T>,
  lockTimeoutSeconds = 120,
): Promise<T> {
  await client.query('begin');
  try {
    await client.query(`select set_config('lock_timeout', $1, true)`, [`${lockTimeoutSeconds}s`]);
    await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [lockName]);
    await client.query(`select set_config('lock_timeout', '0', true)`);
    const result = await work();
    await client.query('commit');
    return result;
  } catch (err) {
    const rolledBack = await client.query('rollback').then(
      () => true,
      () => false,
    );
    if (!rolledBack && typeof err === 'object' && err !== null) brokenConnectionErrors.add(err);
    throw err;
  }
}

/** Errors after which the rollback failed too: their connection must not be reused. */
const brokenConnectionErrors = new WeakSet<object>();

/** True when the connection that raised `err` could not even roll back. */
export function leftConnectionBroken(err: unknown): boolean {
  return typeof err === 'object' && err !== null && brokenConnectionErrors.has(err);
}

/**
 * `lockedTransaction` on a dedicated client from `pool`; a client whose
 * rollback failed is destroyed, not returned to the pool.
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
  let failure: unknown;
  let lost: Error | undefined;
  // a session the server ends while we hold it: pg emits 'error' on the client (the query fails too)
  const onClientError = (err: Error) => {
    lost = err;
  };
  client.on('error', onClientError);
  try {
    return await lockedTransaction(client, lockName, () => work(client), lockTimeoutSeconds);
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    client.off('error', onClientError);
    client.release(lost ?? (leftConnectionBroken(failure) ? (failure as Error) : undefined));
  }
}
