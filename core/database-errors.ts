import { describeError, EltError, ExitCode, isErrorLike } from './errors';

/** A socket's error codes: the database's when node-postgres raised them, but an S3 or NATS client raises them too. */
function describeSocketFailure(code: string | undefined): string | undefined {
  switch (code) {
    case 'ECONNREFUSED':
      return 'the database server refused the connection (ECONNREFUSED: it is not running?)';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the connection to the database was lost (${code})`;
  }
  return undefined;
}

/**
 * What a failure of the database itself (not of our SQL, not of the data) says, by
 * SQLSTATE (class 08 connection exception, 57P01-57P05 operator intervention, class 53
 * insufficient resources) or by node-postgres's message for a connection that ended;
 * undefined for anything else.
 */
function describeDatabaseFailure(code: string | undefined, message: string): string | undefined {
  switch (code) {
    case '57P01':
      return 'the database ended the session (57P01 admin_shutdown)';
    case '57P02':
      return 'the database server crashed (57P02 crash_shutdown)';
    case '57P03':
      return 'the database server is starting or stopping (57P03 cannot_connect_now)';
    case '57P04':
      return 'the database was dropped (57P04 database_dropped)';
    case '57P05':
      return 'the database ended an idle session (57P05 idle_session_timeout)';
    case '53100':
      return 'the database server is out of disk space (53100 disk_full)';
    case '53200':
      return 'the database server is out of memory (53200 out_of_memory)';
    case '53300':
      return 'the database server has too many connections (53300 too_many_connections)';
  }
  if (code && /^08[0-9A-Z]{3}$/.test(code)) return `the connection to the database failed (${code} connection exception)`;
  if (code && /^53[0-9A-Z]{3}$/.test(code)) return `the database server lacks resources (${code} insufficient resources)`;
  // node-postgres's own errors when the socket ends under a query carry no code
  if (!code && /^Connection terminated( unexpectedly)?$|is not queryable|^Client was closed/.test(message)) {
    return 'the connection to the database was lost';
  }
  return undefined;
}

/**
 * The first error along the `cause` chain (`err` itself first) that is a failure of the
 * database, described. A socket's error code counts only on `err` itself, when it is
 * no EltError and `sockets` is true: wrapped, it is another client's (an S3 endpoint's
 * ECONNREFUSED, already an EltError of its own code).
 */
function findDatabaseFailure(err: unknown, sockets: boolean): string | undefined {
  for (let current: unknown = err, depth = 0; isErrorLike(current) && depth < 10; current = current.cause, depth += 1) {
    const raw = (current as { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : undefined;
    const found =
      describeDatabaseFailure(code, current.message) ??
      (sockets && depth === 0 && !(err instanceof EltError) ? describeSocketFailure(code) : undefined);
    if (found) return found;
  }
  return undefined;
}

/**
 * `err` as the user's error when the database failed under us (the session ended, the
 * server gone, out of disk): exit code 3 (ExitCode.database) and one line naming what
 * was running (`doing`: a step, a command, an object), what happened and the server's
 * message. Undefined when `err` is no such failure, or already an EltError with exit
 * code 3. `sockets: false` where a bare socket error may be another client's (a lake
 * object's source): then only SQLSTATEs and node-postgres's own errors count.
 *
 * @example throw asDatabaseFailure(err, 'refresh') ?? err;
 */
export function asDatabaseFailure(err: unknown, doing: string, options: { sockets?: boolean } = {}): EltError | undefined {
  if (err instanceof EltError && err.exitCode === ExitCode.database) return undefined;
  const failure = findDatabaseFailure(err, options.sockets ?? true);
  if (!failure) return undefined;
  return new EltError(`${doing}: ${failure}: ${describeError(err)}`, ExitCode.database, { cause: err });
}
