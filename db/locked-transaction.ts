import type { Pool, PoolClient } from 'pg';
import { describeError, EltError, ExitCode } from '../core/errors';

/** How a lock is taken: a row of elt.locks (the project's roles only), or an advisory key (a first migration). */
export type LockKind = 'row' | 'advisory';

/**
 * Another elt process held the lock row (or advisory key) longer than we wait for it:
 * its own limit was reached, so no caller waits again (db/lock-wait.ts retries only the
 * strong locks of readers' relations).
 */
export class LockRowBusyError extends EltError {}

/** SQLSTATE 55P03: a lock wait exceeded lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';

function sqlState(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

/**
 * Takes the lock `lockName` for the current transaction, waiting at most `lockTimeoutSeconds`,
 * then puts the session's lock_timeout back. A row lock is the row `lockName` of elt.locks
 * (`select ... for update`, the row inserted the first time): only the project's roles see
 * that table (the loader role only its load locks), whereas an advisory key is open to every
 * session of the database, so anyone who may connect could stall us on it.
 */
async function takeLock(client: PoolClient, lockName: string, kind: LockKind, lockTimeoutSeconds: number): Promise<void> {
  const { rows } = await client.query<{ lock_timeout: string; role: string }>(
    "select current_setting('lock_timeout') as lock_timeout, current_user as role",
  );
  await client.query(`select set_config('lock_timeout', $1, true)`, [`${lockTimeoutSeconds}s`]);
  try {
    if (kind === 'advisory') {
      await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [lockName]);
    } else {
      await client.query('insert into elt.locks (name) values ($1) on conflict do nothing', [lockName]);
      const { rowCount } = await client.query('select from elt.locks where name = $1 for update', [lockName]);
      if (rowCount !== 1) throw new Error(`the role ${rows[0]?.role} may not take it`);
    }
  } catch (err) {
    if (sqlState(err) === LOCK_NOT_AVAILABLE) {
      throw new LockRowBusyError(
        `waited ${lockTimeoutSeconds} s for the lock ${lockName} (another elt process holds it); try again once it is done`,
        ExitCode.database,
        {
          cause: err,
        },
      );
    }
    const message = describeError(err);
    throw new EltError(`cannot take the lock ${lockName} as ${rows[0]?.role}: ${message}`, ExitCode.database, { cause: err });
  }
  await client.query(`select set_config('lock_timeout', $1, true)`, [rows[0]?.lock_timeout ?? '0']);
}

/**
 * Runs `work` in one transaction on `client`, holding the transaction-level lock
 * `lockName` (a row of elt.locks, see `takeLock`; its name from db/lock-names.ts), so two processes never do the same
 * work at once. Waits at most `lockTimeoutSeconds` for the lock, then fails with one
 * line naming it; rolls back on any error.
 */
export async function lockedTransaction<T>(
  client: PoolClient,
  lockName: string,
  work: () => Promise<T>,
  lockTimeoutSeconds = 120,
  kind: LockKind = 'row',
): Promise<T> {
  await client.query('begin');
  try {
    await takeLock(client, lockName, kind, lockTimeoutSeconds);
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

/** Takes a further lock inside a transaction that `lockedTransaction` opened. */
export async function alsoLock(client: PoolClient, lockName: string, lockTimeoutSeconds = 120): Promise<void> {
  await takeLock(client, lockName, 'row', lockTimeoutSeconds);
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
 * @example await withLockedTransaction(pool, LOCKS.build, async (client) => client.query('...'));
 */
export async function withLockedTransaction<T>(
  pool: Pool,
  lockName: string,
  work: (client: PoolClient) => Promise<T>,
  lockTimeoutSeconds = 120,
  kind: LockKind = 'row',
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
    return await lockedTransaction(client, lockName, () => work(client), lockTimeoutSeconds, kind);
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    client.off('error', onClientError);
    client.release(lost ?? (leftConnectionBroken(failure) ? (failure as Error) : undefined));
  }
}
