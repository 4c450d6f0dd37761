import type { TopLevelSpec } from 'vega-lite';
import { CHART_FONT_FAMILY } from './bundled-font';
import type { DailySeries } from './daily-series';

/** The chart's size in SVG pixels, title, axes and legend included. */
export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 540;

/** "Click-through rate per category, <first day> to <last day>" */
export function chartTitle(days: string[]): string {
  const first = days[0] ?? '';
  const last = days[days.length - 1] ?? first;
  return `Click-through rate per category, ${first} to ${last}`;
}

/** Day ticks, at most about a dozen of them; the year in the labels only when the range spans two years. */
function dayAxis(days: string[]) {
  const spansYears = (days[0] ?? '').slice(0, 4) !== (days[days.length - 1] ?? '').slice(0, 4);
  return {
    title: 'Day',
    format: spansYears ? '%Y-%m-%d' : '%b %d',
    tickCount: { interval: 'day' as const, step: Math.max(1, Math.ceil(days.length / 12)) },
    grid: true,
    labelOverlap: true,
  };
}

/**
 * A Vega-Lite line chart of CTR per category and day: one coloured line with
 * point marks per category (legend in order of displays), CTR as a percentage
 * axis. Null CTRs break the lines: a day without displays is a gap, not a zero.
 * `note` (what was left out, chart-limits.ts) is a second subtitle line.
 */
export function categoryCtrSpec(series: DailySeries, note?: string): TopLevelSpec {
  const subtitle = 'CTR = article views / card views (displays), per day; a gap is a day without displays; legend ordered by displays, most first';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 16,
    background: 'white',
    title: {
      text: chartTitle(series.days),
      subtitle: note === undefined ? subtitle : [subtitle, note],
    },
    data: { values: series.points },
    encoding: {
      x: {
        field: 'date',
        type: 'temporal',
        scale: { type: 'utc', padding: 24 },
        axis: dayAxis(series.days),
      },
      y: {
        field: 'ctr',
        type: 'quantitative',
        scale: { zero: true, nice: true },
        axis: { title: 'Click-through rate', format: '.0%' },
      },
      color: {
        field: 'category',
        type: 'nominal',
        scale: { domain: series.categories, scheme: series.categories.length > 10 ? 'tableau20' : 'tableau10' },
        legend: { title: 'Category' },
      },
    },
    layer: [
      { mark: { type: 'line', strokeWidth: 2.5, invalid: 'break-paths-show-domains' } },
      { mark: { type: 'point', filled: true, size: series.days.length > 31 ? 30 : 70, opacity: 1 } },
    ],
    config: {
      font: CHART_FONT_FAMILY,
      title: { fontSize: 20, subtitleFontSize: 13, subtitleColor: '#555555', anchor: 'start', offset: 14 },
      axis: { labelFontSize: 12, titleFontSize: 13, titlePadding: 10, gridColor: '#e6e6e6', domainColor: '#888888', tickColor: '#888888' },
      legend: { labelFontSize: 13, titleFontSize: 13, symbolSize: 140, symbolStrokeWidth: 3, labelLimit: 360, rowPadding: 6 },
      view: { stroke: null },
    },
  };
}
