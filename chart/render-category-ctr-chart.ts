import { join } from 'node:path';
import type { Pool } from 'pg';
import { describeError, EltError, ExitCode } from '../core/errors';
import { outputUpToDate, recordOutput, sidecarOf } from '../core/output-fingerprint';
import { writeFileAtomic } from '../core/safe-write';
import { checkTrustedDir, ensureTrustedDir } from '../core/trusted-path';
import { readCategoryCtr, type CategoryCtrRows } from './category-ctr-rows';
import { chartFingerprint } from './chart-fingerprint';
import { leftOutNote } from './chart-limits';
import { checkChartOptions, DEFAULT_MIN_DISPLAYS, type CategoryCtrChartOptions } from './chart-options';
import { dailySeries } from './daily-series';
import type { ChartImages } from './draw-chart-images';

export interface CategoryCtrChart {
  svgPath: string;
  pngPath: string;
  /** the charted categories, most displays first */
  categories: string[];
  /** calendar days from the first to the last charted day */
  days: number;
  /**
   * set when days or categories were left out (chart-limits.ts), e.g. "showing
   * 2019-02-15..2019-02-17; 1 day with data left out (9999-12-31): ...": also on the chart
   */
  leftOut?: string;
  /** set when the files were left as they were: what the chart shows has not changed since they were drawn */
  unchanged?: true;
}

export type { CategoryCtrChartOptions };

export const CHART_BASENAME = 'ctr_per_category';

/** The SVG of a year is about 1 MB and its PNG 250 KB: a file larger than this is not one we drew (it is drawn again). */
const MAX_CHART_FILE_BYTES = 64 * 1024 * 1024;

/** vega, vega-lite and resvg, loaded when a chart is drawn (about 0.3 s of loading), not when it is unchanged. */
function drawImages(chart: CategoryCtrRows, minDisplays: number): Promise<ChartImages> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require: import() of a .ts module fails under jest without ESM support
  return (require('./draw-chart-images') as typeof import('./draw-chart-images')).drawChartImages(chart, minDisplays);
}

/** The chart drawn in memory: its SVG and PNG, and what it shows. */
export interface DrawnCategoryCtrChart {
  svg: string;
  png: Buffer;
  categories: string[];
  days: number;
  leftOut?: string;
}

/**
 * Draws the CTR per category and day from the marts.category_ctr_daily of the database
 * `pool` is open on, now, without writing anything: what `elt chart` writes and what the
 * docs site embeds (the chart of the database it documents, never a file left by another).
 */
export async function drawCategoryCtrChart(pool: Pool, filter: Omit<CategoryCtrChartOptions, 'outDir'>): Promise<DrawnCategoryCtrChart> {
  const chart = await readCategoryCtr(pool, filter);
  const leftOut = leftOutNote(chart.firstDay, chart.lastDay, chart.leftOut);
  const { svg, png, categories, days } = await drawImages(chart, filter.minDisplays ?? DEFAULT_MIN_DISPLAYS);
  const drawn: DrawnCategoryCtrChart = { svg, png, categories, days: days.length };
  if (leftOut !== undefined) drawn.leftOut = leftOut;
  return drawn;
}

/**
 * Draws the CTR per category and day from marts.category_ctr_daily: a
 * Vega-Lite heat map (draw-category-ctr-svg.ts) rendered server-side to SVG, rasterised to PNG with the
 * bundled font. Writes <outDir>/ctr_per_category.svg and .png, and beside them the
 * fingerprint of what they show (chart-fingerprint.ts): when the mart's rows, the
 * options and the code are those the files were drawn from, and the files are as
 * written, nothing is drawn or written (`unchanged`). At most
 * MAX_CHART_DAYS days and MAX_CHART_CATEGORIES lines are drawn, whatever the dates in
 * the mart; what was left out is noted on the chart and in the result.
 *
 * @example await renderCategoryCtrChart(pool, { outDir: 'out', top: 5 });
 */
export async function renderCategoryCtrChart(pool: Pool, options: CategoryCtrChartOptions): Promise<CategoryCtrChart> {
  checkChartOptions(options);
  checkTrustedDir(options.outDir); // before the work: a folder another account could have planted is refused
  const chart = await readCategoryCtr(pool, options);
  const minDisplays = options.minDisplays ?? DEFAULT_MIN_DISPLAYS;
  const leftOut = leftOutNote(chart.firstDay, chart.lastDay, chart.leftOut);
  const svgPath = join(options.outDir, `${CHART_BASENAME}.svg`);
  const pngPath = join(options.outDir, `${CHART_BASENAME}.png`);
  const sidecar = sidecarOf(svgPath);
  const inputs = chartFingerprint(chart, minDisplays);
  const result = (categories: string[], days: number): CategoryCtrChart => ({
    svgPath,
    pngPath,
    categories,
    days,
    ...(leftOut === undefined ? {} : { leftOut }),
  });
  try {
    ensureTrustedDir(options.outDir);
    if (outputUpToDate(sidecar, inputs, [svgPath, pngPath], MAX_CHART_FILE_BYTES)) {
      const series = dailySeries(chart, minDisplays);
      return { ...result(series.categories, series.days.length), unchanged: true };
    }
  } catch (err) {
    throw new EltError(`cannot write the chart to ${options.outDir}: ${describeError(err)}`, ExitCode.usage, { cause: err });
  }
  const { svg, png, categories, days } = await drawImages(chart, minDisplays);
  try {
    ensureTrustedDir(options.outDir);
    writeFileAtomic(svgPath, svg);
    writeFileAtomic(pngPath, png);
    recordOutput(sidecar, inputs, [
      { path: svgPath, bytes: svg },
      { path: pngPath, bytes: png },
    ]);
  } catch (err) {
    throw new EltError(`cannot write the chart to ${options.outDir}: ${describeError(err)}`, ExitCode.usage, { cause: err });
  }
  return result(categories, days.length);
}
