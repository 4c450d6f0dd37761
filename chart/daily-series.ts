import type { CategoryCtrRows } from './category-ctr-rows';
import { MAX_CHART_DAYS } from './chart-limits';

/** One point of a category's line: ctr null is a gap. */
export interface CtrPoint {
  category: string;
  /** YYYY-MM-DD */
  date: string;
  ctr: number | null;
}

/** Every category's CTR on every calendar day from the first to the last drawn day. */
export interface DailySeries {
  /** in the order of the rows (most displays first) */
  categories: string[];
  /** every calendar day from the first to the last, YYYY-MM-DD */
  days: string[];
  points: CtrPoint[];
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
 * Turns mart rows into one point per category and calendar day from the first
 * to the last drawn day (rows outside those days are ignored). A day a category
 * has no row for (no displays, no clicks) becomes a null point like a day with
 * clicks but no displays, so its line breaks there instead of bridging the day.
 */
export function dailySeries(chart: Pick<CategoryCtrRows, 'rows' | 'firstDay' | 'lastDay'>): DailySeries {
  const days = calendarDays(chart.firstDay, chart.lastDay);
  const drawn = new Set(days);
  const rows = chart.rows.filter((row) => drawn.has(row.date));
  const categories = [...new Set(rows.map((row) => row.category))];
  const ctrOf = new Map(rows.map((row) => [`${row.category}\u0000${row.date}`, row.ctr]));
  const points = categories.flatMap((category) => days.map((date) => ({ category, date, ctr: ctrOf.get(`${category}\u0000${date}`) ?? null })));
  return { categories, days, points };
}
