import { readFileSync } from 'node:fs';
import type { Command } from '../command';
import { describeError, EltError, ExitCode } from '../errors';
import { formatCsv, formatTable } from '../format-table';
import { PROJECT_FLAG, PROJECT_HELP } from '../options';
import { projectOf } from '../project';
import { withDatabase } from '../with-database';

/** `elt query`: an ad-hoc, read-only look at the tables, without psql. */
export const queryCommand: Command = {
  name: 'query',
  summary: 'run one read-only SQL query and print the rows (table, --csv or --json)',
  usage: 'elt query "<sql>" [--csv | --json] [--project <dir>]',
  options: { csv: { type: 'boolean' }, json: { type: 'boolean' }, ...PROJECT_FLAG },
  optionHelp: [
    '<sql>                       the query; - reads it from standard input',
    '--csv                       print CSV',
    '--json                      print a JSON array of rows',
    ...PROJECT_HELP,
  ],
  example: `npm run elt -- query "select category, date, ctr from marts.category_ctr_daily order by date, category limit 5"`,
  positionals: true,
  run: async (options, io, positionals) => {
    const sql = positionals.join(' ') === '-' ? readFileSync(0, 'utf8') : positionals.join(' ');
    if (!sql.trim()) throw new EltError('no query: elt query "select ..."', ExitCode.usage);
    return withDatabase(io, async ({ pool }) => {
      const client = await pool.connect();
      try {
        // read only: a typo cannot change the data
        await client.query('begin read only');
        const result = await client.query<Record<string, unknown>>(sql).catch((err: unknown) => {
          throw new EltError(`query failed: ${describeError(err)}`, ExitCode.usage, { cause: err });
        });
        await client.query('rollback');
        const columns = result.fields.map((field) => field.name);
        if (options.json) io.stdout.write(`${JSON.stringify(result.rows, null, 2)}\n`);
        else if (options.csv) io.stdout.write(formatCsv(columns, result.rows));
        else io.stdout.write(formatTable(columns, result.rows));
        return ExitCode.ok;
      } finally {
        await client.query('rollback').catch(() => undefined);
        client.release();
      }
    }, projectOf(options, io.env).database);
  },
};
