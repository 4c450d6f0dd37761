import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import { Pool, types } from 'pg';
import { describeError, EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';

// a SQL date is a calendar day: keep it as 'YYYY-MM-DD' instead of a JS Date at local midnight
types.setTypeParser(types.builtins.DATE, (value: string) => value);

/** Errors that mean "not up yet": worth retrying while the database starts. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', '57P03']);

/** A connection string safe to print: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** How this process's sessions are named in pg_stat_activity, so that an interrupt can cancel their queries. */
export const APPLICATION_NAME = `elt (pid ${process.pid})`;

const POSTGRES_SCHEMES = new Set(['postgres:', 'postgresql:']);

/**
 * Refuses (exit 2, one line that never holds the URL's password) a connection
 * string that is not a Postgres URL: unparseable, another database's scheme
 * (`mysql://`), or no `//` after the scheme. `postgres:///db` (a local socket,
 * host from PGHOST) is a Postgres URL.
 */
export function checkPostgresUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EltError('DATABASE_URL is not a valid connection URL (expected postgres://user:password@host:port/db)', ExitCode.usage);
  }
  if (!POSTGRES_SCHEMES.has(parsed.protocol)) {
    throw new EltError(
      `DATABASE_URL has the scheme "${parsed.protocol}"; expected postgres:// or postgresql:// (a Postgres server: postgres://user:password@host:port/db)`,
      ExitCode.usage,
    );
  }
  if (!url.slice(parsed.protocol.length).startsWith('//')) {
    throw new EltError('DATABASE_URL is not a valid connection URL (expected postgres://user:password@host:port/db)', ExitCode.usage);
  }
}

/**
 * Opens a pool on `url` and waits until the server answers, retrying transient
 * failures for up to `waitSeconds` (a database container may still be starting).
 * Throws an EltError (exit code 3) naming the database when it never answers, and
 * one with exit code 2 when `url` is not a Postgres URL (see checkPostgresUrl).
 *
 * @example const pool = await connectPool(process.env.DATABASE_URL!, { waitSeconds: 10, log });
 */
export async function connectPool(
  url: string,
  options: { waitSeconds: number; log: Logger; stream?: () => Socket; signal?: AbortSignal },
): Promise<Pool> {
  checkPostgresUrl(url);
  const pool = new Pool({
    connectionString: url,
    max: 8,
    connectionTimeoutMillis: 5000,
    application_name: APPLICATION_NAME,
    // the embedded server's: connections that send the password to nobody else (embedded-server.ts)
    ...(options.stream ? { stream: options.stream } : {}),
  });
  // an idle client losing its connection must not crash the process (and while the pool
  // closes, a server stopping at the same moment is no loss worth a warning)
  pool.on('error', (err) => {
    if (!pool.ending) options.log.warn(`database connection lost: ${err.message}`);
  });
  const deadline = Date.now() + options.waitSeconds * 1000;
  let attempt = 0;
  for (;;) {
    attempt += 1;
    let version: number;
    try {
      const { rows } = await pool.query<{ version: number }>("select current_setting('server_version_num')::int as version");
      version = rows[0]?.version ?? 0;
    } catch (err) {
      const code = errorCode(err);
      const transient = code !== undefined && TRANSIENT_CODES.has(code);
      if (!transient || Date.now() >= deadline) {
        await pool.end().catch(() => undefined);
        const reason = describeError(err);
        const waited = transient ? ` after ${attempt} attempts in ${options.waitSeconds}s` : '';
        throw new EltError(`cannot connect to the database at ${redactUrl(url)}${waited}: ${reason}`, ExitCode.database, { cause: err });
      }
      if (attempt === 1) options.log.info(`waiting for the database at ${redactUrl(url)} ...`);
      // an interrupt (Ctrl-C, SIGTERM) ends the wait at once
      const pause = await sleep(Math.min(250 * 2 ** (attempt - 1), 2000), undefined, options.signal ? { signal: options.signal } : {}).then(
        () => undefined,
        (stopped: unknown) => stopped,
      );
      if (pause !== undefined) {
        await pool.end().catch(() => undefined);
        throw options.signal?.reason ?? pause;
      }
      continue;
    }
    try {
      checkServerVersion(version);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return pool;
  }
}

/** The oldest Postgres the migrations and models are tested on (Debian stable's; see docs/development/tests.md, "Postgres versions"). */
export const OLDEST_SUPPORTED_POSTGRES = 15;

/** Refuses (exit 2) a server older than OLDEST_SUPPORTED_POSTGRES, given its server_version_num (e.g. 150018). */
export function checkServerVersion(versionNum: number): void {
  const major = Math.floor(versionNum / 10000);
  if (major < OLDEST_SUPPORTED_POSTGRES) {
    throw new EltError(
      `the database runs Postgres ${major}; elt needs Postgres ${OLDEST_SUPPORTED_POSTGRES} or newer (upgrade the server, or unset DATABASE_URL to use the embedded Postgres 18)`,
      ExitCode.usage,
    );
  }
}

/**
 * Ends the pool and waits until every one of its connections is closed. `pool.end()`
 * alone resolves once no client is left in the pool, while their sessions may still be
 * closing: a server stopped right then (the embedded one, when the last command ends)
 * would still see them, and end them with an error.
 */
export async function endPool(pool: Pool, timeoutMs = 5000): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      open -= 1;
      if (open <= 0) resolve();
    });
  });
  await pool.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}
