import { join } from 'node:path';
import { checkChartOptions } from '../../chart/chart-options';
import { loadChartModule } from '../../chart/load-chart';
import { defineCommand, type CommandInput, type Io } from '../command';
import { ExitCode, type ExitCodeValue } from '../../core/errors';
import { checkTrustedDir } from '../../core/trusted-path';
import { timed } from '../../core/log';
import { withDatabase } from '../with-database';

/** More lines than this are hard to tell apart: suggest --top. */
const READABLE_CATEGORIES = 10;

/** `elt chart`: the CTR-per-category picture, from marts.category_ctr_daily. */
async function chart({ settings }: CommandInput<'chartOut' | 'top' | 'from' | 'to' | 'minDisplays'>, io: Io): Promise<ExitCodeValue> {
  const { top, from, to, minDisplays } = settings;
  const outDir = settings.chartOut ?? join(io.home ?? '.', 'out');
  const chartOptions = { outDir, top, minDisplays, from, to };
  checkChartOptions(chartOptions); // before the database is opened
  checkTrustedDir(outDir);
  return withDatabase(
    io,
    async ({ pool }) => {
      const { renderCategoryCtrChart } = loadChartModule();
      const { result } = await timed(io.log, 'chart', () => renderCategoryCtrChart(pool, chartOptions));
      io.log.info(
        `charted ${result.categories.length} categories over ${result.days} days${result.unchanged ? ': unchanged, the files already show the mart as it is' : ''}`,
      );
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

export const chartCommand = defineCommand({
  name: 'chart',
  summary: 'draw the click-through rate per category and day (SVG and PNG) from marts.category_ctr_daily',
  settings: ['chartOut', 'top', 'from', 'to', 'minDisplays'],
  example: 'npm run elt -- chart --out out --top 5',
  action: chart,
});
