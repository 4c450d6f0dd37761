import { SETTINGS } from '../core/settings/declared-settings';
import type { Setting } from '../core/settings/setting';
import { packageVersion } from '../core/package-root';
import type { Command } from './command';
import { COMMANDS } from './commands';
import { buildProgram, GLOBAL_SETTINGS, variableRows, type FormatItems, type ProgramParts } from './program';

/** The variables every command reads (those without a flag: --log-format is among the options). */
function globalVariables(format: FormatItems): string {
  const rows = variableRows(GLOBAL_SETTINGS.map((key) => SETTINGS[key] as Setting<unknown>));
  rows.push(['AWS_*', 'S3 credentials as for the AWS CLI: AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...']);
  return format(rows);
}

const EXIT_CODES = `Exit codes: 0 ok, 1 unexpected error, 2 bad usage or input (path, URI, bucket, setting),
3 database unreachable, 4 a lake file failed to load, 5 a model failed to build
or refresh (elt lint: a model breaks the house style), 6 the S3 endpoint is
unreachable or refused access, 7 a data test failed, 8 the message stream is
unreachable or missing, 9 a source is stale (elt freshness), 10 a query ran past
its --timeout (elt query), 11 waited --lock-wait-seconds for a lock another session
holds (the message names it), 12 no such row (elt explain), 13 something needs
attention (elt status), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).`;

/** The text around the program's help: what elt is, the variables, exit codes, examples. */
export function programParts(version: string): Pick<ProgramParts, 'header' | 'epilogue' | 'version'> {
  return {
    version,
    header: `elt ${version}: SQL-first ELT for app clickstream events on Postgres`,
    epilogue: (format) => `Every command works on DATABASE_URL when it is set, else on an embedded Postgres
kept in .elt/ of the project's home (so a second run finds the first run's data):
--project-dir or ELT_PROJECT_DIR, else the nearest folder up holding .elt/ or
elt.project.json, else the current one. Each command's --help lists its flags with
the environment variables and project-file keys they read.
Colours only on a terminal, never when NO_COLOR is set (non-empty).

Environment (every command):
${globalVariables(format)}

${EXIT_CODES}

Examples:
  npm run elt -- run --source tests/fixtures/lake-sample
  npm run elt -- run --source s3://upday-data-assignment/lake/ --no-sign-request
  npm run elt -- build --prune    # drop the models whose files were removed (kept otherwise)
  npm run elt -- help run         # the flags of elt run
`,
  };
}

function helpProgram(version: string) {
  return buildProgram(COMMANDS, { ...programParts(version), writeOut: () => undefined, run: async () => undefined });
}

/** What `elt --help` prints. */
export function globalHelp(version: string = packageVersion()): string {
  return helpProgram(version).helpInformation();
}

/** What `elt <command> --help` prints. */
export function commandHelp(command: Command, version: string = packageVersion()): string {
  const sub = helpProgram(version).commands.find((candidate) => candidate.name() === command.name);
  if (!sub) throw new Error(`no command ${command.name}`);
  return sub.helpInformation();
}
