import type { Pool } from 'pg';
import { describeError, EltError, ExitCode } from '../cli/errors';

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

/** Which rows to chart: an inclusive date range, and the N categories with most displays in it. */
export interface CategoryCtrFilter {
  from?: string;
  to?: string;
  top?: number;
}

const MART = 'marts.category_ctr_daily';

// categories ranked by their displays in the range (ties by name); LIMIT NULL keeps them all
const SELECT_ROWS = `
  with in_range as (
      select category, date, card_views, article_views, ctr
      from ${MART}
      where ($1::date is null or date >= $1::date)
          and ($2::date is null or date <= $2::date)
  ),
  ranked as (
      select category, sum(card_views) as total_card_views
      from in_range
      group by category
      order by total_card_views desc, category
      limit $3
  )
  select
      in_range.category,
      to_char(in_range.date, 'YYYY-MM-DD') as date,
      in_range.card_views::float8 as card_views,
      in_range.article_views::float8 as article_views,
      in_range.ctr::float8 as ctr
  from in_range
  join ranked using (category)
  order by ranked.total_card_views desc, in_range.category, in_range.date`;

interface MartRow {
  category: string;
  date: string;
  card_views: number;
  article_views: number;
  ctr: number | null;
}

// undefined_table, invalid_schema_name, and a materialized view never populated
const MART_NOT_READY = new Set(['42P01', '3F000', '55000']);

function pgCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/**
 * The rows of marts.category_ctr_daily to chart, categories in order of their
 * displays (most first), each category's days in date order. A missing or
 * empty mart, or a range without rows, is a usage error (exit 2).
 */
export async function readCategoryCtr(pool: Pool, filter: CategoryCtrFilter = {}): Promise<CategoryCtrRow[]> {
  let rows: MartRow[];
  try {
    ({ rows } = await pool.query<MartRow>(SELECT_ROWS, [filter.from ?? null, filter.to ?? null, filter.top ?? null]));
  } catch (err) {
    if (MART_NOT_READY.has(pgCode(err) ?? '')) {
      throw new EltError(`${MART} is not built yet (${describeError(err)}): run elt run first`, ExitCode.usage, { cause: err });
    }
    throw err;
  }
  if (rows.length === 0) {
    const { rows: all } = await pool.query<{ any_row: boolean }>(`select exists (select from ${MART}) as any_row`);
    if (!all[0]?.any_row) throw new EltError(`${MART} is empty: run elt run first`, ExitCode.usage);
    const range = `${filter.from ?? 'the first day'} to ${filter.to ?? 'the last day'}`;
    throw new EltError(`${MART} has no rows from ${range}: widen --from/--to`, ExitCode.usage);
  }
  return rows.map((row) => ({
    category: row.category,
    date: row.date,
    cardViews: row.card_views,
    articleViews: row.article_views,
    ctr: row.ctr,
  }));
}
