import { readFileSync } from 'node:fs';
import type { Command } from '../command';
import { EltError, ExitCode } from '../../core/errors';
import { formatCsv, formatJson, formatTable } from '../format-table';
import { PROJECT_FLAG, PROJECT_HELP } from '../options';
import { projectOf } from '../project';
import { runReadOnlyQuery } from '../read-only-query';
import { withDatabase } from '../with-database';

/** `elt query`: an ad-hoc, read-only look at the tables, without psql (see runReadOnlyQuery for how it stays read-only). */
export const queryCommand: Command = {
  name: 'query',
  summary: 'run one read-only SQL query and print the rows (table, --csv or --json)',
  usage: 'elt query "<sql>" [--csv | --json] [--project <dir>]',
  options: { csv: { type: 'boolean' }, json: { type: 'boolean' }, ...PROJECT_FLAG },
  optionHelp: [
    '<sql>                       the query; - reads it from standard input',
    '--csv                       print CSV',
    '--json                      print a JSON array of rows (a repeated column name: name_2, ...)',
    ...PROJECT_HELP,
  ],
  example: `npm run elt -- query "select category, date, ctr from marts.category_ctr_daily order by date, category limit 5"`,
  positionals: true,
  run: async (options, io, positionals) => {
    const sql = positionals.join(' ') === '-' ? readFileSync(0, 'utf8') : positionals.join(' ');
    if (!sql.trim()) throw new EltError('no query: elt query "select ..."', ExitCode.usage);
    return withDatabase(
      io,
      async ({ pool, url }) => {
        const { columns, rows } = await runReadOnlyQuery(pool, url, sql);
        if (options.json) io.stdout.write(formatJson(columns, rows));
        else if (options.csv) io.stdout.write(formatCsv(columns, rows));
        else io.stdout.write(formatTable(columns, rows));
        return ExitCode.ok;
      },
      projectOf(options, io.env).database,
    );
  },
};
