import type { CategoryCtrRows } from './category-ctr-rows';
import { drawCategoryCtrSvg } from './draw-category-ctr-svg';
import { rasterisePng } from './rasterise-png';

/** The chart's SVG and PNG, drawn from rows already read. */
export interface ChartImages {
  svg: string;
  png: Buffer;
  /** the drawn categories, most displays first */
  categories: string[];
  /** the drawn calendar days */
  days: string[];
}

/**
 * Draws the chart of `chart` (Vega-Lite to SVG, resvg to PNG). The only module of the
 * chart that loads vega, vega-lite and resvg: render-category-ctr-chart.ts requires it
 * when there is something to draw, so a run whose chart is unchanged never loads them.
 */
export async function drawChartImages(chart: CategoryCtrRows, minDisplays: number): Promise<ChartImages> {
  const { svg, categories, days } = await drawCategoryCtrSvg(chart, minDisplays);
  return { svg, png: rasterisePng(svg), categories, days };
}
