import type { CategoryCtrRows } from './category-ctr-rows';
import { categoryCtrSpec } from './category-ctr-spec';
import { leftOutNote } from './chart-limits';
import { dailySeries } from './daily-series';
import { renderSvg } from './render-svg';

export interface CategoryCtrSvg {
  svg: string;
  /** the drawn categories, most displays first */
  categories: string[];
  /** the drawn calendar days, every one from the first to the last */
  days: string[];
}

/**
 * The CTR chart of rows already read (readCategoryCtr), as an SVG string: a
 * day with fewer than `minDisplays` displays is marked "too few". No database,
 * no file: what renderCategoryCtrChart writes, and what the tests look at.
 */
export async function drawCategoryCtrSvg(chart: CategoryCtrRows, minDisplays: number): Promise<CategoryCtrSvg> {
  const series = dailySeries(chart, minDisplays);
  const svg = await renderSvg(categoryCtrSpec(series, leftOutNote(chart.firstDay, chart.lastDay, chart.leftOut)));
  return { svg, categories: series.categories, days: series.days };
}
