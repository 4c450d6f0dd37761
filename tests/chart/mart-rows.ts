import type { CategoryCtrRow, CategoryCtrRows } from '../../chart/category-ctr-rows';

const DAY_MS = 86_400_000;

/** The day `offset` days after `first` (YYYY-MM-DD). */
export const dayAfter = (first: string, offset: number): string => new Date(Date.parse(first) + offset * DAY_MS).toISOString().slice(0, 10);

/**
 * Mart rows as readCategoryCtr returns them, without a database: `categories`
 * categories (c01, c02, ... most displays first) over `days` days from `first`,
 * 150 to 400 displays a day and a CTR between 11% and 14% (deterministic), and a
 * partial first day with `firstDayDisplays` displays for the first category only
 * (the others have no row that day), as a lake file cut at midnight UTC gives.
 */
export function martRows(options: { first: string; days: number; categories: number; firstDayDisplays?: number }): CategoryCtrRows {
  const rows: CategoryCtrRow[] = [];
  let seed = 7;
  const next = () => {
    seed = (seed * 48_271) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  for (let category = 0; category < options.categories; category += 1) {
    const name = `c${String(category + 1).padStart(2, '0')}`;
    for (let day = 0; day < options.days; day += 1) {
      const partial = day === 0 && options.firstDayDisplays !== undefined;
      if (partial && category > 0) continue;
      const cardViews = partial ? (options.firstDayDisplays ?? 0) : Math.round(400 - category * 10 - next() * 150);
      const articleViews = partial ? 0 : Math.round(cardViews * (0.11 + next() * 0.03));
      rows.push({
        category: name,
        date: dayAfter(options.first, day),
        cardViews,
        articleViews,
        ctr: cardViews === 0 ? null : articleViews / cardViews,
      });
    }
  }
  return { rows, firstDay: options.first, lastDay: dayAfter(options.first, options.days - 1), leftOut: { days: 0, categories: 0 } };
}
