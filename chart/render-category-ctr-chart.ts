import { join } from 'node:path';
import type { Pool } from 'pg';
import { describeError, EltError, ExitCode } from '../core/errors';
import { writeFileAtomic } from '../core/safe-write';
import { checkTrustedDir, ensureTrustedDir } from '../core/trusted-path';
import { readCategoryCtr } from './category-ctr-rows';
import { leftOutNote } from './chart-limits';
import { checkChartOptions, DEFAULT_MIN_DISPLAYS, type CategoryCtrChartOptions } from './chart-options';
import { drawCategoryCtrSvg } from './draw-category-ctr-svg';
import { rasterisePng } from './rasterise-png';

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
}

export type { CategoryCtrChartOptions };

export const CHART_BASENAME = 'ctr_per_category';

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
  const { svg, categories, days } = await drawCategoryCtrSvg(chart, filter.minDisplays ?? DEFAULT_MIN_DISPLAYS);
  const drawn: DrawnCategoryCtrChart = { svg, png: rasterisePng(svg), categories, days: days.length };
  if (leftOut !== undefined) drawn.leftOut = leftOut;
  return drawn;
}

/**
 * Draws the CTR per category and day from marts.category_ctr_daily: a
 * Vega-Lite heat map (draw-category-ctr-svg.ts) rendered server-side to SVG, rasterised to PNG with the
 * bundled font. Writes <outDir>/ctr_per_category.svg and .png. At most
 * MAX_CHART_DAYS days and MAX_CHART_CATEGORIES lines are drawn, whatever the dates in
 * the mart; what was left out is noted on the chart and in the result.
 *
 * @example await renderCategoryCtrChart(pool, { outDir: 'out', top: 5 });
 */
export async function renderCategoryCtrChart(pool: Pool, options: CategoryCtrChartOptions): Promise<CategoryCtrChart> {
  checkChartOptions(options);
  checkTrustedDir(options.outDir); // before the work: a folder another account could have planted is refused
  const { svg, png, categories, days, leftOut } = await drawCategoryCtrChart(pool, options);
  const svgPath = join(options.outDir, `${CHART_BASENAME}.svg`);
  const pngPath = join(options.outDir, `${CHART_BASENAME}.png`);
  try {
    ensureTrustedDir(options.outDir);
    writeFileAtomic(svgPath, svg);
    writeFileAtomic(pngPath, png);
  } catch (err) {
    throw new EltError(`cannot write the chart to ${options.outDir}: ${describeError(err)}`, ExitCode.usage, { cause: err });
  }
  const result: CategoryCtrChart = { svgPath, pngPath, categories, days };
  if (leftOut !== undefined) result.leftOut = leftOut;
  return result;
}
