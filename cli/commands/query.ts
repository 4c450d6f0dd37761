import { readFileSync } from 'node:fs';
import type { Command, Io } from '../command';
import { EltError, ExitCode } from '../../core/errors';
import { parseDuration } from '../../observe/freshness';
import { csvFormat, jsonFormat, tableFormat, type RowFormat } from '../format-table';
import { PROJECT_FLAG, PROJECT_HELP } from '../options';
import { writeInTurn } from '../process-output';
import { projectOf } from '../project';
import { runReadOnlyQuery, type RowOutput } from '../../db/read-only-query';
import { withDatabase } from '../with-database';

/** --timeout when none is given, and the longest one may be (a timer holds at most 24.8 days). */
const DEFAULT_TIMEOUT = '5m';
const MAX_TIMEOUT = '7d';

/** The table must see every row it prints to align them: it prints at most this many (CSV and JSON print all). */
const TABLE_MAX_ROWS = 10_000;
const TABLE_MAX_CHARS = 16_000_000;

/** --timeout in milliseconds: a duration (s, m, h, d) above zero and at most MAX_TIMEOUT; anything else is a usage error. */
function timeoutOf(text: string): number {
  const ms = parseDuration(text, '--timeout');
  if (ms <= 0) throw new EltError(`--timeout "${text}" must be longer than 0s`, ExitCode.usage);
  if (ms > parseDuration(MAX_TIMEOUT)) throw new EltError(`--timeout "${text}" is longer than ${MAX_TIMEOUT}, the most it may be`, ExitCode.usage);
  return ms;
}

/** Prints each batch on stdout as `format` writes it, waiting for the reader when stdout is full (backpressure). */
function printTo(io: Io, format: RowFormat): RowOutput {
  return {
    columns: (names, stop) => writeInTurn(io.stdout, format.start(names), stop),
    rows: async (batch, stop) => {
      await writeInTurn(io.stdout, format.rows(batch), stop);
      return format.lastBatchChars();
    },
    wantsMore: () => format.wantsMore(),
  };
}

/** `elt query`: an ad-hoc, read-only look at the tables, without psql (see runReadOnlyQuery for how it stays read-only). */
export const queryCommand: Command = {
  name: 'query',
  summary: 'run one read-only SQL query and print the rows (table, --csv or --json)',
  usage: 'elt query "<sql>" [--csv | --json] [--timeout <duration>] [--project <dir>]',
  options: { csv: { type: 'boolean' }, json: { type: 'boolean' }, timeout: { type: 'string' }, ...PROJECT_FLAG },
  optionHelp: [
    '<sql>                       the query; - reads it from standard input',
    `--csv                       print CSV (every row, streamed)`,
    '--json                      print a JSON array of rows (every row, streamed; a repeated column name: name_2, ...)',
    `                            without either: a table of the first ${TABLE_MAX_ROWS} rows (its last line says when more were cut)`,
    `--timeout <duration>        stop the query past this (e.g. 30s, 10m, 2h; at most ${MAX_TIMEOUT}), printing included: exit 10 [default ${DEFAULT_TIMEOUT}]`,
    ...PROJECT_HELP,
  ],
  example: `npm run elt -- query "select category, date, ctr from marts.category_ctr_daily order by date, category limit 5"`,
  positionals: true,
  run: async (options, io, positionals) => {
    const timeoutLabel = (options.timeout as string | undefined) ?? DEFAULT_TIMEOUT;
    const timeoutMs = timeoutOf(timeoutLabel);
    const sql = positionals.join(' ') === '-' ? readFileSync(0, 'utf8') : positionals.join(' ');
    if (!sql.trim()) throw new EltError('no query: elt query "select ..."', ExitCode.usage);
    return withDatabase(
      io,
      async ({ pool, url }) => {
        const format = options.json ? jsonFormat() : options.csv ? csvFormat() : tableFormat(TABLE_MAX_ROWS, TABLE_MAX_CHARS);
        await runReadOnlyQuery(pool, url, sql, printTo(io, format), { timeoutMs, timeoutLabel, signal: io.signal });
        await writeInTurn(io.stdout, format.end(), io.signal);
        return ExitCode.ok;
      },
      projectOf(options, io.env).database,
      { onlyReads: ExitCode.database },
    );
  },
};
