/**
 * What the chart draws at most, whatever the data: memory and the rows read from
 * the mart stay bounded even when one event is dated 9999-12-31.
 */

/** Consecutive calendar days drawn at most (a leap year): those with most displays. */
export const MAX_CHART_DAYS = 366;

/** Lines drawn at most (beyond 20 the colours repeat; long before 50 the lines are hard to tell apart). */
export const MAX_CHART_CATEGORIES = 50;

/** What the mart had in the range that the chart leaves out. */
export interface LeftOut {
  /** days with rows outside the drawn days */
  days: number;
  /** the first and last of them, when there are any (as Postgres writes them) */
  firstDay?: string;
  lastDay?: string;
  /** categories beyond MAX_CHART_CATEGORIES (not those --top leaves out: it was asked to) */
  categories: number;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/**
 * One line for the chart and the log, when something was left out:
 * "showing 2019-02-15..2019-02-17; 1 day with data left out (9999-12-31): at most
 * 366 consecutive days are drawn, those with most displays". Undefined when nothing was.
 */
export function leftOutNote(firstDay: string, lastDay: string, leftOut: LeftOut): string | undefined {
  const parts: string[] = [];
  if (leftOut.days > 0) {
    const which = leftOut.firstDay === leftOut.lastDay ? leftOut.firstDay : `${leftOut.firstDay}..${leftOut.lastDay}`;
    parts.push(
      `${plural(leftOut.days, 'day', 'days')} with data left out (${which}): at most ${MAX_CHART_DAYS} consecutive days are drawn, those with most displays`,
    );
  }
  if (leftOut.categories > 0) {
    parts.push(
      `${plural(leftOut.categories, 'category', 'categories')} with fewer displays left out: at most ${MAX_CHART_CATEGORIES} lines are drawn`,
    );
  }
  return parts.length === 0 ? undefined : `showing ${firstDay}..${lastDay}; ${parts.join('; ')}`;
}
