import type { TopLevelSpec } from 'vega-lite';
import { CHART_FONT_FAMILY } from './bundled-font';
import type { CtrCell, DailySeries } from './daily-series';
import { DAY_LABEL_FONT_SIZE, dayAxisLabels, dayLabel } from './day-axis-labels';
import { textWidth } from './text-width';
import { wrapText } from './wrap-text';

/** The chart's size in SVG pixels, title, axes and legend included. */
export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 540;

const PADDING = 16;
const TITLE_SIZE = 20;
const SUBTITLE_SIZE = 13;
const CATEGORY_LABEL_SIZE = 12;
/** a category name is cut (with an ellipsis) beyond this width */
const CATEGORY_LABEL_LIMIT = 180;
/** values are not printed smaller than this */
const MIN_VALUE_FONT_SIZE = 9;
/** cells at least this wide are drawn with a white line between them */
const GAP_FROM_WIDTH = 6;
/** the height the title, the legends and the day axis take besides the subtitle lines, about */
const CHROME_HEIGHT = 150;

/** Colours: viridis for the CTR (dark is low, yellow high: no grey or white in it), grey for too few displays. */
const FEW_COLOUR = '#c8c8c8';
const NONE_COLOUR = '#ffffff';

/** "Click-through rate per category, <first day> to <last day>" */
export function chartTitle(days: string[]): string {
  const first = days[0] ?? '';
  const last = days[days.length - 1] ?? first;
  return `Click-through rate per category, ${first} to ${last}`;
}

const percent = (ctr: number, digits: number) => `${(ctr * 100).toFixed(digits)}%`;

/** What a cell says to a screen reader (and to the tests): "news, 2019-02-15: 12.3% (1234 displays)". */
function describeCell(cell: CtrCell, minDisplays: number): string {
  const what =
    cell.status === 'none'
      ? 'no displays'
      : cell.status === 'few'
        ? `too few displays (${cell.displays}, fewer than ${minDisplays})`
        : `${percent(cell.ctr ?? 0, 1)} (${cell.displays} displays)`;
  return `${cell.category}, ${cell.date}: ${what}`;
}

/** Below this many coloured cells the colour scale spans them all; from it on, the middle 90%. */
const CLAMP_FROM_CELLS = 40;

/**
 * The CTRs the colour scale spans: from the lowest to the highest coloured cell,
 * or (with many cells) from the 5th to the 95th percentile, so that one odd day
 * does not wash every other day into one colour (it takes the end colour; its
 * value is printed, and `clamped` says so). At least 1 point wide.
 */
function ctrDomain(cells: CtrCell[]): { low: number; high: number; clamped: boolean } {
  const ctrs = cells.flatMap((cell) => (cell.status === 'ok' && cell.ctr !== null ? [cell.ctr] : [])).sort((a, b) => a - b);
  if (ctrs.length === 0) return { low: 0, high: 1, clamped: false };
  const at = (share: number) => ctrs[Math.round(share * (ctrs.length - 1))]!;
  const clamped = ctrs.length >= CLAMP_FROM_CELLS;
  let [low, high] = clamped ? [at(0.05), at(0.95)] : [at(0), at(1)];
  if (high - low < 0.01) [low, high] = [Math.max(0, (low + high) / 2 - 0.005), Math.max(0, (low + high) / 2 - 0.005) + 0.01];
  return { low, high, clamped: clamped && (at(0) < low || at(1) > high) };
}

/** How a value is printed in a cell: "12.3%", else "12.3" (the subtitle says they are %), else "12%" or "12", else not at all (the colour says it). */
interface ValueFormat {
  digits: number;
  sign: boolean;
  fontSize: number;
}

function valueFormat(cellWidth: number, cellHeight: number): ValueFormat | undefined {
  const largest = Math.min(13, Math.floor(cellHeight * 0.45));
  for (const [digits, sign] of [
    [1, true],
    [1, false],
    [0, true],
    [0, false],
  ] as const) {
    for (let fontSize = largest; fontSize >= Math.max(MIN_VALUE_FONT_SIZE, largest - 3); fontSize -= 1) {
      const format = { digits, sign, fontSize };
      if (textWidth(cellValue(0.888, format), fontSize) + 4 <= cellWidth) return format;
    }
  }
  return undefined;
}

function cellValue(ctr: number, format: ValueFormat): string {
  const value = (ctr * 100).toFixed(format.digits);
  return format.sign ? `${value}%` : value;
}

/**
 * A Vega-Lite heat map of CTR per category (rows, most displays first) and day
 * (columns, every calendar day of the range, none merged or dropped): colour on
 * one scale for all categories, from the lowest to the highest CTR drawn, and
 * the value printed in each cell when the cells are wide enough for it. A day
 * with fewer than `series.minDisplays` displays is grey ("too few"), a day
 * without displays blank: never a 0%. The title and subtitle are wrapped to the
 * image's width; `note` (what was left out, chart-limits.ts) is their last line.
 */
export function categoryCtrSpec(series: DailySeries, note?: string): TopLevelSpec {
  const textWidthMax = CHART_WIDTH - 2 * PADDING;
  const categoryLabels = Math.min(CATEGORY_LABEL_LIMIT, Math.max(0, ...series.categories.map((c) => textWidth(c, CATEGORY_LABEL_SIZE))));
  const plotWidth = textWidthMax - categoryLabels - 12;
  const cellWidth = plotWidth / Math.max(series.days.length, 1);

  const title = wrapText(chartTitle(series.days), textWidthMax, TITLE_SIZE, true);
  const explain = `CTR = article views ÷ card views (displays), one row per category (most displays first), one column per day. A day with fewer than ${series.minDisplays} displays is grey: too few to mean much.`;
  const domain = ctrDomain(series.cells);
  const wrap = (lines: (string | undefined)[]) =>
    lines.filter((line): line is string => line !== undefined).flatMap((line) => wrapText(line, textWidthMax, SUBTITLE_SIZE));
  // the cells' height before the last sentence is known: one subtitle line spare
  const plotHeight = CHART_HEIGHT - CHROME_HEIGHT - (title.length - 1) * 24 - (wrap([explain, note]).length + 1) * 16;
  const cellHeight = plotHeight / Math.max(series.categories.length, 1);
  const values = valueFormat(cellWidth, cellHeight);
  // many categories: smaller names, one per row (vega thins them out should they still touch)
  const categoryFontSize = Math.max(7, Math.min(CATEGORY_LABEL_SIZE, Math.floor(cellHeight * 0.9)));
  const valuesSaid =
    values === undefined ? ' Too many days to print the values: --from/--to for a shorter range prints them.' : values.sign ? '' : ' Values in %.';
  const clampSaid = domain.clamped ? ' The colours span the middle 90% of days; the rest take the end colours.' : '';
  const subtitle = wrap([explain + valuesSaid + clampSaid, note]);
  const { low, high } = domain;
  const fewLabel = `fewer than ${series.minDisplays} displays`;
  const noneLabel = 'no displays';
  const data = series.cells.map((cell) => ({
    category: cell.category,
    date: cell.date,
    ctr: cell.ctr,
    status: cell.status,
    kind: cell.status === 'few' ? fewLabel : noneLabel,
    value: values === undefined || cell.ctr === null ? '' : cellValue(cell.ctr, values),
    description: describeCell(cell, series.minDisplays),
  }));
  const labelled = dayAxisLabels(series.days, plotWidth);
  const labelOf = Object.fromEntries(labelled.map((day) => [day, dayLabel(day)]));
  const gaps = cellWidth >= GAP_FROM_WIDTH ? { stroke: 'white', strokeWidth: 1 } : {};

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: PADDING,
    background: 'white',
    title: { text: title, subtitle },
    data: { values: data },
    encoding: {
      x: {
        field: 'date',
        type: 'ordinal',
        sort: series.days,
        // a hair of outer padding: with none, the first band can start at -3e-14 and vega drops its tick as out of range
        scale: { domain: series.days, paddingInner: 0, paddingOuter: 0.01 },
        axis: {
          title: null,
          values: labelled,
          labelExpr: `${JSON.stringify(labelOf)}[datum.value]`,
          labelAngle: 0,
          labelFontSize: DAY_LABEL_FONT_SIZE,
          labelOverlap: false,
          domain: false,
        },
      },
      y: {
        field: 'category',
        type: 'nominal',
        sort: series.categories,
        // without the white lines between cells (a year), a thin gap between the rows keeps each category's row apart
        scale: { domain: series.categories, paddingInner: cellWidth >= GAP_FROM_WIDTH ? 0 : 0.12, paddingOuter: 0 },
        axis: {
          title: null,
          labelFontSize: categoryFontSize,
          labelLimit: CATEGORY_LABEL_LIMIT,
          labelOverlap: 'greedy',
          ticks: false,
          domain: false,
          labelPadding: 6,
        },
      },
      description: { field: 'description' },
    },
    layer: [
      {
        transform: [{ filter: "datum.status === 'ok'" }],
        mark: { type: 'rect', ...gaps },
        encoding: {
          color: {
            field: 'ctr',
            type: 'quantitative',
            scale: { scheme: 'viridis', domain: [low, high], clamp: true },
            legend: { title: 'CTR', format: '.1%', orient: 'top', direction: 'horizontal', gradientLength: 220, tickCount: 4 },
          },
        },
      },
      {
        transform: [{ filter: "datum.status !== 'ok'" }],
        mark: { type: 'rect', ...gaps },
        encoding: {
          color: {
            field: 'kind',
            type: 'nominal',
            scale: { domain: [fewLabel, noneLabel], range: [FEW_COLOUR, NONE_COLOUR] },
            legend: { title: null, orient: 'top', direction: 'horizontal', symbolType: 'square', symbolStrokeColor: '#888888', symbolStrokeWidth: 1 },
          },
        },
      },
      ...(values === undefined
        ? []
        : [
            {
              transform: [{ filter: "datum.status === 'ok'" }],
              mark: { type: 'text' as const, fontSize: values.fontSize },
              encoding: {
                text: { field: 'value' },
                color: { condition: { test: `datum.ctr < ${low + (high - low) * 0.55}`, value: 'white' }, value: 'black' },
              },
            },
          ]),
    ],
    resolve: { scale: { color: 'independent' } },
    config: {
      font: CHART_FONT_FAMILY,
      title: { fontSize: TITLE_SIZE, subtitleFontSize: SUBTITLE_SIZE, subtitleColor: '#444444', anchor: 'start', offset: 10, subtitlePadding: 6 },
      axis: { labelColor: '#222222', tickColor: '#888888' },
      legend: { labelFontSize: 12, titleFontSize: 12, symbolSize: 160, columnPadding: 16, offset: 10 },
      view: { stroke: null },
    },
  };
}
