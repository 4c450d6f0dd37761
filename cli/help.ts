import type { Command } from './command';
import { COMMANDS } from './commands';

export function globalHelp(version: string): string {
  return `elt ${version}: SQL-first ELT for app clickstream events on Postgres

Usage: elt <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(10)}${command.summary}`).join('\n')}

Every command works on DATABASE_URL when it is set, else on an embedded Postgres
kept in ./.elt/ (so a second run finds the first run's data).

Options: --help (also after a command), --version,
         --log-format human|json (logs on stderr; json: one object per line) [env ELT_LOG_FORMAT]
Colours only on a terminal, never when NO_COLOR is set (non-empty).

Environment:
  DATABASE_URL              postgres://user:password@host:port/db (default: embedded)
  ELT_SOURCE                default for --source
  ELT_TIME_ZONE             default for --time-zone
  ELT_SESSION_GAP_MINUTES   default for --session-gap-minutes
  ELT_DB_WAIT_SECONDS       how long to wait for the database to answer (default 10)
  ELT_LOCK_WAIT_SECONDS     default for --lock-wait-seconds: the most build, refresh and
                            migrate wait for locks readers hold (default 300)
  ELT_EMBEDDED_PORT         the embedded Postgres's port, kept from one start to the next
  AWS_*                     S3 settings as for the AWS CLI: AWS_REGION, AWS_PROFILE,
                            AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3
  ELT_DEBUG=1               print stack traces of errors

Exit codes: 0 ok, 1 unexpected error, 2 bad usage or input (path, URI, bucket),
3 database unreachable, 4 a lake file failed to load, 5 a model failed to build
or refresh (elt lint: a model breaks the house style), 6 the S3 endpoint is
unreachable or refused access, 7 a data test failed, 8 the message stream is
unreachable or missing, 9 a source is stale (elt freshness), 10 a query ran past
its --timeout (elt query), 11 waited --lock-wait-seconds for a lock another session
holds (the message names it), 12 no such row (elt explain), 13 something needs
attention (elt status), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).

Examples:
  npm run elt -- run --source tests/fixtures/lake-sample
  npm run elt -- run --source s3://upday-data-assignment/lake/ --no-sign-request
  npm run elt -- build --prune    # drop the models whose files were removed (kept otherwise)
`;
}

export function commandHelp(command: Command): string {
  const options = command.optionHelp.length ? `\nOptions:\n${command.optionHelp.map((line) => `  ${line}`).join('\n')}\n` : '';
  return `elt ${command.name}: ${command.summary}

Usage: ${command.usage}
${options}
Example:
  ${command.example}
`;
}
