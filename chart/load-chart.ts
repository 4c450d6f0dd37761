/**
 * The chart code, loaded on first use: vega and vega-lite take about 0.3 s to
 * load and resvg loads a native binary, so the other commands do not pay for them.
 */
export type ChartModule = typeof import('./render-category-ctr-chart');

export function loadChartModule(): ChartModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require: import() of a .ts module fails under jest without ESM support
  return require('./render-category-ctr-chart') as ChartModule;
}
