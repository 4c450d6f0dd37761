import type { Pool } from 'pg';
import { describeError, EltError, ExitCode } from '../core/errors';
import { MAX_CHART_CATEGORIES, MAX_CHART_DAYS, type LeftOut } from './chart-limits';

/** One row of marts.category_ctr_daily, as the chart uses it. */
export interface CategoryCtrRow {
  category: string;
  /** YYYY-MM-DD */
  date: string;
  cardViews: number;
  articleViews: number;
  /** NULL (no displays that day) stays null: a gap, not a zero */
  ctr: number | null;
}

/** The rows to draw, the days they span (at most MAX_CHART_DAYS) and what was left out. */
export interface CategoryCtrRows {
  rows: CategoryCtrRow[];
  /** the first and last drawn day, YYYY-MM-DD */
  firstDay: string;
  lastDay: string;
  leftOut: LeftOut;
}

/** Which rows to chart: an inclusive date range, and the N categories with most displays in it. */
export interface CategoryCtrFilter {
  from?: string;
  to?: string;
  top?: number;
}

const MART = 'marts.category_ctr_daily';

/*
 * Bounded whatever the mart holds: at most MAX_CHART_DAYS days times
 * MAX_CHART_CATEGORIES categories reach the client. In the range, the drawn days
 * are the window of MAX_CHART_DAYS consecutive days with most displays (then most
 * rows, then the latest), among the days a YYYY-MM-DD can write (years 1..9999:
 * the reporting time zone can move a 9999-12-31 event past it); every other day
 * with rows is counted as left out. The categories are ranked by their displays
 * in those days (ties by name). Every row carries the window and the counts.
 */
const SELECT_ROWS = `
  with in_range as (
      select category, date, card_views, article_views, ctr
      from ${MART}
      where ($1::date is null or date >= $1::date)
          and ($2::date is null or date <= $2::date)
  ),
  by_day as (
      select date, sum(card_views) as card_views, count(*) as row_count
      from in_range
      where date between date '0001-01-01' and date '9999-12-31'
      group by date
  ),
  windows as (
      select
          date as first_day,
          max(date) over next_days as last_day,
          sum(card_views) over next_days as card_views,
          sum(row_count) over next_days as row_count
      from by_day
      window next_days as (order by date range between current row and interval '${MAX_CHART_DAYS - 1} days' following)
  ),
  chosen as (
      select first_day, last_day
      from windows
      order by card_views desc, row_count desc, first_day desc
      limit 1
  ),
  drawn as (
      select in_range.*
      from in_range
      join chosen on in_range.date between chosen.first_day and chosen.last_day
  ),
  left_out_days as (
      select count(distinct in_range.date) as days, min(in_range.date)::text as first_day, max(in_range.date)::text as last_day
      from in_range
      join chosen on in_range.date not between chosen.first_day and chosen.last_day
  ),
  categories as (
      select category, sum(card_views) as total_card_views
      from drawn
      group by category
  ),
  ranked as (
      select category, total_card_views
      from categories
      order by total_card_views desc, category
      limit least($3::int, ${MAX_CHART_CATEGORIES})
  )
  select
      drawn.category,
      to_char(drawn.date, 'YYYY-MM-DD') as date,
      drawn.card_views::float8 as card_views,
      drawn.article_views::float8 as article_views,
      drawn.ctr::float8 as ctr,
      to_char(chosen.first_day, 'YYYY-MM-DD') as window_first_day,
      to_char(chosen.last_day, 'YYYY-MM-DD') as window_last_day,
      left_out_days.days::int as left_out_days,
      left_out_days.first_day as left_out_first_day,
      left_out_days.last_day as left_out_last_day,
      greatest(least(coalesce($3::int, 2147483647), (select count(*) from categories)) - ${MAX_CHART_CATEGORIES}, 0)::int as left_out_categories
  from drawn
  join ranked using (category)
  cross join chosen
  cross join left_out_days
  order by ranked.total_card_views desc, drawn.category, drawn.date`;

interface MartRow {
  category: string;
  date: string;
  card_views: number;
  article_views: number;
  ctr: number | null;
  window_first_day: string;
  window_last_day: string;
  left_out_days: number;
  left_out_first_day: string | null;
  left_out_last_day: string | null;
  left_out_categories: number;
}

// undefined_table, invalid_schema_name, and a materialized view never populated
const MART_NOT_READY = new Set(['42P01', '3F000', '55000']);

function pgCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/**
 * The rows of marts.category_ctr_daily to chart, categories in order of their
 * displays (most first), each category's days in date order, at most
 * MAX_CHART_DAYS days and MAX_CHART_CATEGORIES categories (chart-limits.ts). A
 * missing or empty mart, or a range without rows, is a usage error (exit 2).
 */
export async function readCategoryCtr(pool: Pool, filter: CategoryCtrFilter = {}): Promise<CategoryCtrRows> {
  let rows: MartRow[];
  try {
    ({ rows } = await pool.query<MartRow>(SELECT_ROWS, [filter.from ?? null, filter.to ?? null, filter.top ?? null]));
  } catch (err) {
    if (MART_NOT_READY.has(pgCode(err) ?? '')) {
      throw new EltError(`${MART} is not built yet (${describeError(err)}): run elt run first`, ExitCode.usage, { cause: err });
    }
    throw err;
  }
  const first = rows[0];
  if (first === undefined) {
    const { rows: all } = await pool.query<{ any_row: boolean }>(`select exists (select from ${MART}) as any_row`);
    if (!all[0]?.any_row) throw new EltError(`${MART} is empty: run elt run first`, ExitCode.usage);
    const range = `${filter.from ?? 'the first day'} to ${filter.to ?? 'the last day'}`;
    throw new EltError(`${MART} has no rows from ${range}: widen --from/--to`, ExitCode.usage);
  }
  const leftOut: LeftOut = { days: first.left_out_days, categories: first.left_out_categories };
  if (first.left_out_first_day !== null) leftOut.firstDay = first.left_out_first_day;
  if (first.left_out_last_day !== null) leftOut.lastDay = first.left_out_last_day;
  return {
    rows: rows.map((row) => ({
      category: row.category,
      date: row.date,
      cardViews: row.card_views,
      articleViews: row.article_views,
      ctr: row.ctr,
    })),
    firstDay: first.window_first_day,
    lastDay: first.window_last_day,
    leftOut,
  };
}
