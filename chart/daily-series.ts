import type { CategoryCtrRow } from './category-ctr-rows';

/** One point of a category's line: ctr null is a gap. */
export interface CtrPoint {
  category: string;
  /** YYYY-MM-DD */
  date: string;
  ctr: number | null;
}

/** Every category's CTR on every calendar day from the first to the last day. */
export interface DailySeries {
  /** in the order of the rows (most displays first) */
  categories: string[];
  /** every calendar day from the first to the last, YYYY-MM-DD */
  days: string[];
  points: CtrPoint[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The calendar days from `first` to `last` (YYYY-MM-DD, inclusive). */
export function calendarDays(first: string, last: string): string[] {
  const days: string[] = [];
  for (let time = Date.parse(first); time <= Date.parse(last); time += DAY_MS) {
    days.push(new Date(time).toISOString().slice(0, 10));
  }
  return days;
}

/**
 * Turns mart rows into one point per category and calendar day. A day a
 * category has no row for (no displays, no clicks) becomes a null point like a
 * day with clicks but no displays, so its line breaks there instead of
 * bridging the day.
 */
export function dailySeries(rows: CategoryCtrRow[]): DailySeries {
  const categories = [...new Set(rows.map((row) => row.category))];
  const dates = rows.map((row) => row.date).sort();
  const first = dates[0];
  const last = dates[dates.length - 1];
  const days = first !== undefined && last !== undefined ? calendarDays(first, last) : [];
  const ctrOf = new Map(rows.map((row) => [`${row.category}\u0000${row.date}`, row.ctr]));
  const points = categories.flatMap((category) =>
    days.map((date) => ({ category, date, ctr: ctrOf.get(`${category}\u0000${date}`) ?? null })),
  );
  return { categories, days, points };
}
