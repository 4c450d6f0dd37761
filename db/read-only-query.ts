import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Client, type FieldDef, type Pool, type PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import { describeError, EltError, ExitCode } from '../core/errors';
import { allowLoginOnWorkers, forgetLoginOnWorkers } from './citus';
import { APPLICATION_NAME } from './connect';

/**
 * Where the rows of the statement go, batch by batch (the rows by position: a name may
 * repeat). The next batch is read only when the last one is taken, so memory holds one batch.
 */
export interface RowOutput {
  /** the columns (in order, names as the server gave them, repeats included), once, before any row */
  columns(names: string[], stop: AbortSignal): Promise<void>;
  /** takes a batch; resolves to its size in characters once taken (it sizes the next batch) */
  rows(batch: unknown[][], stop: AbortSignal): Promise<number>;
  /** false once the output wants no more rows (the rest is not read) */
  wantsMore(): boolean;
}

export interface ReadOnlyQueryOptions {
  /** the longest the statement may take, from the start to its last row taken (a slow reader included) */
  timeoutMs: number;
  /** how the timeout is named in its error (the --timeout the user gave) */
  timeoutLabel: string;
  /** an interrupt: the statement stops at once and its reason is thrown */
  signal?: AbortSignal;
}

/** The first batch is small (the rows' width is not known yet); later ones hold about BATCH_CHARS, at most MAX_BATCH rows. */
const FIRST_BATCH = 10;
const MAX_BATCH = 10_000;
const BATCH_CHARS = 1_000_000;

/** The predefined role (Postgres 14+) that may read every table and nothing else. */
const READ_ROLE = 'pg_read_all_data';

/** How long past the timeout the temporary login may log in: it is dropped right after, this only bounds a killed run. */
const TEMPORARY_LOGIN_MARGIN_SECONDS = 60;

interface Login {
  /** the session user is, or may become, a superuser: SET ROLE is no barrier for it */
  superuser: boolean;
  /** the session user may SET ROLE pg_read_all_data */
  reader: boolean;
  readRoleExists: boolean;
}

async function loginOf(client: PoolClient): Promise<Login> {
  const { rows } = await client.query<Login>(
    `select exists (select from pg_roles as r where r.rolsuper and pg_has_role(session_user, r.oid, 'member')) as superuser,
            exists (select from pg_roles where rolname = $1) and pg_has_role(session_user, $1, 'member') as reader,
            exists (select from pg_roles where rolname = $1) as "readRoleExists"`,
    [READ_ROLE],
  );
  return rows[0] as Login;
}

/** The error of a failed statement, for the user: one statement only, or what the server said. */
function statementError(err: unknown): EltError {
  const message = describeError(err);
  if ((err as { code?: unknown }).code === '42601' && /multiple commands/.test(message)) {
    return new EltError('elt query runs one statement; this text has several (run them one at a time, or use psql)', ExitCode.usage, { cause: err });
  }
  return new EltError(`query failed: ${message}`, ExitCode.usage, { cause: err });
}

/** The next `rows` rows of `cursor`, with the columns the server described. */
function read(cursor: Cursor<unknown[]>, rows: number): Promise<{ rows: unknown[][]; fields: FieldDef[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(rows, (err, batch, result) => (err ? reject(err) : resolve({ rows: batch ?? [], fields: result?.fields ?? [] })));
  });
}

/** `work`, or the reason of `signal` as soon as it aborts (the work goes on unobserved). */
function unlessStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}

/** How many rows the next batch may hold, after one of `count` rows came to `chars` characters. */
function nextBatch(count: number, chars: number): number {
  const perRow = Math.max(1, chars / Math.max(1, count));
  return Math.min(MAX_BATCH, Math.max(1, Math.floor(BATCH_CHARS / perRow)));
}

/** What a statement runs with: who ends its session when it must stop, and the server-side backstop. */
interface StatementRun {
  /** aborted on timeout or interrupt */
  stop: AbortSignal;
  /** ends the session with this backend pid from another connection (pg_terminate_backend: no exception handler catches it) */
  endSession(pid: number): Promise<void>;
  timeoutMs: number;
  role?: string;
}

/**
 * Runs `sql` on `client` in a read-only transaction, as one statement (the extended
 * protocol: Postgres refuses a text with several), and hands its rows to `output` batch
 * by batch through a cursor (a portal read a batch at a time). The caller must close the
 * connection afterwards: a statement such as `set session characteristics` may have changed
 * the session, and a stopped statement leaves it mid-protocol.
 */
async function streamStatement(client: Client | PoolClient, sql: string, output: RowOutput, run: StatementRun): Promise<void> {
  const { stop } = run;
  // the session ends under us when the statement is stopped: that is no crash
  client.on('error', () => undefined);
  stop.throwIfAborted();
  const { rows: backend } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  const pid = (backend[0] as { pid: number }).pid;
  let ending: Promise<void> | undefined;
  const onStop = () => {
    ending = run.endSession(pid);
  };
  stop.addEventListener('abort', onStop, { once: true });
  try {
    stop.throwIfAborted();
    await client.query('begin read only');
    if (run.role) await client.query(`set local role ${run.role}`);
    // a backstop on the server, should this process die: each batch ends past the timeout (the statement may
    // set it off for its later batches: the client's timer, which ends the session, is the bound)
    await client.query(`set local statement_timeout = ${Math.ceil(run.timeoutMs / 1000) + 1}000`);
    const cursor = client.query(new Cursor<unknown[]>(sql, undefined, { rowMode: 'array' }));
    let size = FIRST_BATCH;
    for (let first = true; ; first = false) {
      const batch = await unlessStopped(read(cursor, size), stop).catch((err: unknown) => {
        throw stop.aborted ? (stop.reason as Error) : statementError(err);
      });
      if (first)
        await output.columns(
          batch.fields.map((field) => field.name),
          stop,
        );
      const chars = batch.rows.length > 0 ? await output.rows(batch.rows, stop) : 0;
      if (batch.rows.length < size) break;
      if (!output.wantsMore()) {
        await unlessStopped(cursor.close(), stop);
        break;
      }
      size = nextBatch(batch.rows.length, chars);
    }
    await unlessStopped(client.query('rollback'), stop).catch(() => undefined);
    stop.throwIfAborted();
  } finally {
    stop.removeEventListener('abort', onStop);
    // a stopped statement: its session is gone before the temporary login is dropped
    await ending;
  }
}

/**
 * A superuser can take its rights back inside any one statement (`set_config('role', ...)`,
 * `set_config('session_authorization', ...)`, in a `do` block or a select), so for it the
 * statement runs on a connection of its own, logged in as a temporary role that is no
 * superuser and only a member of pg_read_all_data; the role is dropped afterwards.
 */
async function runAsTemporaryReader(
  admin: PoolClient,
  url: string,
  sql: string,
  output: RowOutput,
  run: StatementRun,
  stream: (() => Duplex | undefined) | undefined,
): Promise<void> {
  const name = `elt_query_${randomBytes(8).toString('hex')}`;
  const password = randomBytes(24).toString('hex');
  let options: string | undefined;
  try {
    // the leftovers of runs that were killed before they could drop theirs
    const { rows: stale } = await admin.query<{ name: string }>(
      `select rolname as name from pg_roles where rolname ~ '^elt_query_[0-9a-f]{16}$' and rolvaliduntil < now()`,
    );
    for (const role of stale) await dropLogin(admin, role.name);
    // quoted by the server (format), valid until a time of the server's clock
    const { rows } = await admin.query<{ statement: string }>(
      `select format('create role %I login nosuperuser nocreatedb nocreaterole noreplication nobypassrls connection limit 1 password %L valid until %L in role %I',
                     $1::text, $2::text, (now() + $3::interval)::text, $4::text) as statement`,
      [name, password, `${Math.ceil(run.timeoutMs / 1000) + TEMPORARY_LOGIN_MARGIN_SECONDS} seconds`, READ_ROLE],
    );
    await admin.query((rows[0] as { statement: string }).statement);
    // databases do not let PUBLIC connect (migrations revoke it): this login may, to this one alone
    await admin
      .query(`select format('grant connect on database %I to %I', current_database(), $1::text) as statement`, [name])
      .then((granted) => admin.query((granted.rows[0] as { statement: string }).statement));
    // on Citus, the coordinator logs in to the workers as this login too
    options = await allowLoginOnWorkers(admin, name, password);
  } catch (err) {
    throw new EltError(`elt query cannot create its temporary read-only login: ${describeError(err)}`, ExitCode.database, { cause: err });
  }
  try {
    const login = new URL(url);
    login.username = name;
    login.password = password;
    // named as this process's other sessions, so that an interrupt cancels its statement too
    const client = new Client({
      connectionString: login.toString(),
      connectionTimeoutMillis: 5000,
      application_name: APPLICATION_NAME,
      ...(options ? { options } : {}),
      ...(stream ? { stream } : {}),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      throw new EltError(
        `elt query cannot log in as its temporary read-only login ${name} (does pg_hba.conf accept a password for it?): ${describeError(err)}; connect with a DATABASE_URL of a user that is no superuser instead`,
        ExitCode.database,
        { cause: err },
      );
    }
    try {
      await streamStatement(client, sql, output, run);
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    await dropLogin(admin, name);
  }
}

/** Drops a temporary login with the privilege it holds on this database (a role with privileges cannot be dropped). */
async function dropLogin(admin: PoolClient, name: string): Promise<void> {
  await forgetLoginOnWorkers(admin, name).catch(() => undefined);
  await admin.query(`drop owned by ${name}`).catch(() => undefined);
  await admin.query(`drop role if exists ${name}`).catch(() => undefined);
}

/**
 * Runs one SQL statement so that it cannot change anything, whatever its text, and
 * streams its rows to `output` (memory holds one batch, whatever the row count):
 * - one statement only (the extended query protocol: Postgres refuses several);
 * - in a read-only transaction, rolled back, on a connection closed afterwards;
 * - as a role that can only read: a superuser login runs it as a temporary login in
 *   pg_read_all_data (see runAsTemporaryReader), a member of pg_read_all_data as that
 *   role (`set local role`), any other user as itself (still read-only, one statement);
 * - for at most `timeoutMs`, the time spent waiting for `output` included: then its session
 *   is ended from another connection (pg_terminate_backend, which the statement cannot catch)
 *   and an EltError with ExitCode.timedOut is thrown. An abort of `signal` ends it the same way.
 *
 * @example await runReadOnlyQuery(pool, url, 'select 1 as n', output, { timeoutMs: 300_000, timeoutLabel: '5m' });
 */
export async function runReadOnlyQuery(pool: Pool, url: string, sql: string, output: RowOutput, options: ReadOnlyQueryOptions): Promise<void> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const stop = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const run: StatementRun = {
    stop,
    timeoutMs: options.timeoutMs,
    endSession: async (pid) => {
      await pool.query('select pg_terminate_backend($1)', [pid]).catch(() => undefined);
    },
  };
  const client = await pool.connect();
  let reusable = false;
  try {
    const login = await loginOf(client);
    if (login.superuser) {
      if (!login.readRoleExists) {
        throw new EltError(
          `elt query needs the role ${READ_ROLE} (Postgres 14+) to run a superuser's query as a reader; connect with a DATABASE_URL of a user that is no superuser`,
          ExitCode.database,
        );
      }
      // connects as the pool does (on the embedded server: only to its postmaster, cli/database.ts)
      await runAsTemporaryReader(client, url, sql, output, run, pool.options.stream);
      reusable = true;
      return;
    }
    await streamStatement(client, sql, output, { ...run, ...(login.reader ? { role: READ_ROLE } : {}) });
  } catch (err) {
    // (the server-side backstop fires a second after the timer: by then the timer has fired)
    if (timeout.aborted && !options.signal?.aborted) {
      throw new EltError(
        `the query ran longer than ${options.timeoutLabel} (--timeout) and was stopped: add a limit, or a longer --timeout`,
        ExitCode.timedOut,
        {
          cause: err,
        },
      );
    }
    throw err;
  } finally {
    // the statement ran on this connection (or it failed midway): never hand it back to the pool
    client.release(!reusable);
  }
}
