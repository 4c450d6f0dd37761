import { join } from 'node:path';
import { checkChartOptions, DEFAULT_MIN_DISPLAYS, MAX_MIN_DISPLAYS } from '../../chart/chart-options';
import { loadChartModule } from '../../chart/load-chart';
import type { Command, Io, Options } from '../command';
import { ExitCode, type ExitCodeValue } from '../../core/errors';
import { checkTrustedDir } from '../../core/trusted-path';
import { timed } from '../../core/log';
import { numberOption } from '../options';
import { withDatabase } from '../with-database';

/** More lines than this are hard to tell apart: suggest --top. */
const READABLE_CATEGORIES = 10;

/** `elt chart`: the CTR-per-category picture, from marts.category_ctr_daily. */
async function chart(options: Options, io: Io): Promise<ExitCodeValue> {
  const outDir = (options.out as string | undefined) || io.env.ELT_OUTPUT_DIR || join(io.home ?? '.', 'out');
  const top = options.top === undefined ? undefined : numberOption(options, {}, 'top', undefined, 0, (n) => Number.isInteger(n) && n >= 1);
  const minDisplays = numberOption(
    options,
    io.env,
    'min-displays',
    'ELT_CHART_MIN_DISPLAYS',
    DEFAULT_MIN_DISPLAYS,
    (n) => Number.isInteger(n) && n >= 1 && n <= MAX_MIN_DISPLAYS,
  );
  const chartOptions = { outDir, top, minDisplays, from: options.from as string | undefined, to: options.to as string | undefined };
  checkChartOptions(chartOptions); // before the database is opened
  checkTrustedDir(outDir);
  return withDatabase(
    io,
    async ({ pool }) => {
      const { renderCategoryCtrChart } = loadChartModule();
      const { result } = await timed(io.log, 'chart', () => renderCategoryCtrChart(pool, chartOptions));
      io.log.info(`charted ${result.categories.length} categories over ${result.days} days`);
      if (result.leftOut !== undefined) io.log.warn(result.leftOut);
      if (top === undefined && result.categories.length > READABLE_CATEGORIES) {
        io.log.warn(
          `${result.categories.length} lines are hard to tell apart: pass --top ${READABLE_CATEGORIES} to keep the ones with most displays`,
        );
      }
      io.stdout.write(`${result.svgPath}\n${result.pngPath}\n`);
      return ExitCode.ok;
    },
    undefined,
    { onlyReads: ExitCode.database },
  );
}

export const chartCommand: Command = {
  name: 'chart',
  summary: 'draw the click-through rate per category and day (SVG and PNG) from marts.category_ctr_daily',
  usage: 'elt chart [--out <dir>] [--top <n>] [--from <YYYY-MM-DD>] [--to <YYYY-MM-DD>] [--min-displays <n>]',
  options: {
    out: { type: 'string' },
    top: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'min-displays': { type: 'string' },
  },
  optionHelp: [
    '--out <dir>                 where to write ctr_per_category.svg and .png [env ELT_OUTPUT_DIR, default ./out]',
    '--top <n>                   only the n categories with most displays (card views) in the range',
    '--from <YYYY-MM-DD>         first day to chart (default: the first day in the mart)',
    '--to <YYYY-MM-DD>           last day to chart (default: the last day in the mart)',
    `--min-displays <n>          days with fewer displays are grey ("too few"), not a CTR [env ELT_CHART_MIN_DISPLAYS, default ${DEFAULT_MIN_DISPLAYS}]`,
  ],
  example: 'npm run elt -- chart --out out --top 5',
  run: chart,
};
