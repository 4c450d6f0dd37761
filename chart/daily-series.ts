import type { CategoryCtrRows } from './category-ctr-rows';
import { MAX_CHART_DAYS } from './chart-limits';

/**
 * What a cell of the chart shows: the CTR (`ok`), or that the day had displays
 * but too few to mean much (`few`: fewer than the threshold), or none at all
 * (`none`: no row, or clicks without displays). Never a made-up 0%.
 */
export type CellStatus = 'ok' | 'few' | 'none';

/** One category on one day. */
export interface CtrCell {
  category: string;
  /** YYYY-MM-DD */
  date: string;
  /** card views that day (0 when the category has no row) */
  displays: number;
  /** article views / card views; null without displays */
  ctr: number | null;
  status: CellStatus;
}

/** Every category's CTR on every calendar day from the first to the last drawn day. */
export interface DailySeries {
  /** in the order of the rows (most displays first) */
  categories: string[];
  /** every calendar day from the first to the last, YYYY-MM-DD */
  days: string[];
  /** one per category and day, categories in order, each one's days in order */
  cells: CtrCell[];
  /** a day with fewer displays than this is `few` */
  minDisplays: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The calendar days from `first` to `last` (YYYY-MM-DD, inclusive). More than
 * MAX_CHART_DAYS is an error, not a list of millions of days: readCategoryCtr
 * never returns a wider span.
 */
export function calendarDays(first: string, last: string): string[] {
  const start = Date.parse(first);
  const span = (Date.parse(last) - start) / DAY_MS + 1;
  if (!(span <= MAX_CHART_DAYS)) throw new Error(`calendarDays: ${first}..${last} is more than ${MAX_CHART_DAYS} days`);
  const days: string[] = [];
  for (let index = 0; index < span; index += 1) days.push(new Date(start + index * DAY_MS).toISOString().slice(0, 10));
  return days;
}

/**
 * Turns mart rows into one cell per category and calendar day from the first to
 * the last drawn day (rows outside those days are ignored): a day a category has
 * no row for is `none`, like a day with clicks but no displays; a day with fewer
 * than `minDisplays` displays is `few`.
 */
export function dailySeries(chart: Pick<CategoryCtrRows, 'rows' | 'firstDay' | 'lastDay'>, minDisplays: number): DailySeries {
  const days = calendarDays(chart.firstDay, chart.lastDay);
  const drawn = new Set(days);
  const rows = chart.rows.filter((row) => drawn.has(row.date));
  const categories = [...new Set(rows.map((row) => row.category))];
  const rowOf = new Map(rows.map((row) => [`${row.category}\u0000${row.date}`, row]));
  const cells = categories.flatMap((category) =>
    days.map((date): CtrCell => {
      const row = rowOf.get(`${category}\u0000${date}`);
      const displays = row?.cardViews ?? 0;
      const ctr = displays > 0 ? (row?.ctr ?? null) : null;
      const status = ctr === null ? 'none' : displays < minDisplays ? 'few' : 'ok';
      return { category, date, displays, ctr, status };
    }),
  );
  return { categories, days, cells, minDisplays };
}
