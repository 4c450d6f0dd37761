import { readFileSync } from 'node:fs';
import { defineCommand, type Io } from '../command';
import { EltError, ExitCode } from '../../core/errors';
import { parseDuration } from '../../core/duration';
import { csvFormat, jsonFormat, tableFormat, type RowFormat } from '../format-table';
import { writeInTurn } from '../process-output';
import { runReadOnlyQuery, type RowOutput } from '../../db/read-only-query';
import { environmentQuery } from '../../transform/environment-sql';
import { withDatabase } from '../with-database';

/** The table must see every row it prints to align them: it prints at most this many (CSV and JSON print all). */
const TABLE_MAX_ROWS = 10_000;
const TABLE_MAX_CHARS = 16_000_000;

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
export const queryCommand = defineCommand({
  name: 'query',
  summary: 'run one read-only SQL query and print the rows (table, --csv or --json)',
  settings: ['csv', 'queryJson', 'timeout', 'project', 'environment'],
  argument: { name: 'sql...', required: false, help: 'the query; - reads it from standard input' },
  notes: [
    `Without --csv or --json: a table of the first ${TABLE_MAX_ROWS} rows (its last line says when more were cut).`,
    '--env <name>: marts.x and the other models the environment holds read its relations (marts__<name>.x), the rest production.',
  ],
  example: `npm run elt -- query "select category, date, ctr from marts.category_ctr_daily order by date, category limit 5"`,
  action: async ({ settings, project }, io, positionals) => {
    // the declared range (above 0s, at most 7d: a timer holds at most 24.8 days) is checked already
    const timeoutLabel = settings.timeout;
    const timeoutMs = parseDuration(timeoutLabel, '--timeout');
    const sql = positionals.join(' ') === '-' ? readFileSync(0, 'utf8') : positionals.join(' ');
    if (!sql.trim()) throw new EltError('no query: elt query "select ..."', ExitCode.usage);
    return withDatabase(
      io,
      async ({ pool, url }) => {
        const format = settings.queryJson ? jsonFormat() : settings.csv ? csvFormat() : tableFormat(TABLE_MAX_ROWS, TABLE_MAX_CHARS);
        const text = settings.environment === undefined ? sql : await environmentQuery(pool, sql, settings.environment);
        await runReadOnlyQuery(pool, url, text, printTo(io, format), { timeoutMs, timeoutLabel, signal: io.signal });
        await writeInTurn(io.stdout, format.end(), io.signal);
        return ExitCode.ok;
      },
      project.database,
      { onlyReads: ExitCode.database },
    );
  },
});
