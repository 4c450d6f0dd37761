import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, PoolClient } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { LockRowBusyError } from './locked-transaction';
import { SETTINGS } from '../core/settings/declared-settings';

/**
 * How long a build, refresh or migration waits for the strong locks its DDL takes
 * (ACCESS EXCLUSIVE for drop, create over, alter, truncate, a plain refresh):
 * `limitSeconds` in all (flag --lock-wait-seconds, env ELT_LOCK_WAIT_SECONDS), one try
 * at most `tryMs` per lock (its lock_timeout). A statement waiting for such a lock
 * queues every later reader of the relation behind it: a short try bounds how long.
 */
export interface LockWaitOptions {
  limitSeconds?: number;
  tryMs?: number;
  log?: Logger;
  /** aborted on an interrupt: no further try */
  signal?: AbortSignal;
}

/** The default of --lock-wait-seconds / ELT_LOCK_WAIT_SECONDS (declared in core/settings): 5 minutes. */
export const DEFAULT_LOCK_WAIT_SECONDS = SETTINGS.lockWaitSeconds.default;
/** One try's lock_timeout: what a reader queued behind a waiting try waits at most. */
export const DEFAULT_LOCK_TRY_MS = 1000;
const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 5000;
/** How often a try's session is looked at for the sessions blocking it. */
const WATCH_EVERY_MS = 200;

/** SQLSTATE 55P03: a lock wait exceeded lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';

/** A session that held (or was ahead in the queue for) a lock a try waited for: from pg_stat_activity. */
export interface BlockingSession {
  pid: number;
  user: string | null;
  application: string | null;
  /** null when our role may not see it (another role's session, without pg_read_all_stats) */
  state: string | null;
  since: Date | null;
}

/** True when `err`, or an error it wraps, is a statement that gave up waiting for a lock (not an elt.locks row: that wait has its own limit). */
export function isLockTimeout(err: unknown): boolean {
  for (let current = err, depth = 0; typeof current === 'object' && current !== null && depth < 10; depth += 1) {
    if (current instanceof LockRowBusyError) return false;
    if ((current as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function describeSession(session: BlockingSession): string {
  const since = session.since ? ` since ${session.since.toISOString()}` : '';
  return `pid ${session.pid} (user ${session.user ?? 'unknown'}, application ${session.application || 'unnamed'}, ${session.state ?? 'state not visible to this role'}${since})`;
}

function describeBlockers(sessions: BlockingSession[]): string {
  if (sessions.length === 0) return 'a session that ended before it could be named';
  return sessions.map(describeSession).join(', ');
}

/**
 * Watches one try's session while it runs: the sessions it waits for (pg_blocking_pids,
 * then pg_stat_activity), asked on another connection of the pool, the last ones seen kept.
 */
class BlockerWatch {
  seen: BlockingSession[] = [];
  private timer: NodeJS.Timeout | undefined;
  private asking: Promise<void> = Promise.resolve();

  constructor(private readonly pool: Pool) {}

  start(pid: number): void {
    this.timer = setInterval(() => {
      this.asking = this.asking.then(() => this.look(pid)).catch(() => undefined);
    }, WATCH_EVERY_MS);
  }

  private async look(pid: number): Promise<void> {
    const { rows } = await this.pool.query<BlockingSession>(
      `select a.pid, a.usename as user, a.application_name as application, a.state, coalesce(a.xact_start, a.state_change) as since
         from pg_stat_activity as a
        where a.pid = any(pg_blocking_pids($1))
        order by a.pid`,
      [pid],
    );
    if (rows.length > 0) this.seen = rows;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.asking;
  }
}

/**
 * Runs `attempt` (one transaction) until it is not stopped by a lock timeout. The attempt
 * calls `arm(client)` once it holds its elt.locks rows, before its first strong lock:
 * from then on each statement waits at most `tryMs` for a lock (lock_timeout, for the
 * transaction only), so a reader never waits longer than that behind it. A try that
 * times out rolls back (letting go of every lock it held), pauses (250 ms, doubling up
 * to 5 s) and tries again; after `limitSeconds` it fails with exit code 11 (lockWait) and one line
 * naming the blocking session. Each retry is logged as a warning naming it too.
 *
 * @example await withLockRetries(pool, 'elt build', (arm) => withLockedTransaction(pool, LOCKS.build, async (client) => { await arm(client); ... }), { limitSeconds: 300 });
 */
export async function withLockRetries<T>(
  pool: Pool,
  what: string,
  attempt: (arm: (client: PoolClient) => Promise<void>) => Promise<T>,
  options: LockWaitOptions = {},
): Promise<T> {
  const limitSeconds = options.limitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS;
  const tryMs = options.tryMs ?? DEFAULT_LOCK_TRY_MS;
  const started = performance.now();
  let blockers: BlockingSession[] = [];
  for (let tries = 1; ; tries += 1) {
    const watch = new BlockerWatch(pool);
    try {
      return await attempt(async (client) => {
        const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid, set_config('lock_timeout', $1, true)", [`${tryMs}ms`]);
        watch.start(rows[0]?.pid as number);
      });
    } catch (err) {
      if (!isLockTimeout(err)) throw err;
      await watch.stop();
      if (watch.seen.length > 0) blockers = watch.seen;
      const pause = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (tries - 1));
      const left = limitSeconds * 1000 - (performance.now() - started);
      if (left <= 0) {
        throw new EltError(
          `${what} waited ${limitSeconds} s for its locks (${tries} tries): blocked by ${describeBlockers(blockers)}; ` +
            'once that transaction ends, run it again (or raise --lock-wait-seconds)',
          ExitCode.lockWait,
          { cause: err },
        );
      }
      options.log?.warn(`${what}: try ${tries} gave up on a lock after ${tryMs} ms, blocked by ${describeBlockers(blockers)}; trying again`);
      await sleep(Math.min(pause, left), undefined, { signal: options.signal });
    } finally {
      await watch.stop();
    }
  }
}
