import { EltError, ExitCode } from '../core/errors';

/** A day with fewer displays than this is drawn as "too few" (grey), not as its CTR: 3 clicks of 15 displays is not a 20% day. */
export const DEFAULT_MIN_DISPLAYS = 100;

/** The largest --min-displays taken (more displays than a day ever has: every day is "too few"). */
export const MAX_MIN_DISPLAYS = 1_000_000_000;

export interface CategoryCtrChartOptions {
  /** folder for ctr_per_category.svg and ctr_per_category.png (created if missing) */
  outDir: string;
  /** keep the N categories with most displays (card views) in the range */
  top?: number;
  /** first day, YYYY-MM-DD (inclusive) */
  from?: string;
  /** last day, YYYY-MM-DD (inclusive) */
  to?: string;
  /** a day with fewer displays is drawn as "too few", not as its CTR (default DEFAULT_MIN_DISPLAYS) */
  minDisplays?: number;
}

/** A YYYY-MM-DD that is a real calendar day, or a usage error naming the flag. */
function checkDay(flag: string, value: string | undefined): void {
  if (value === undefined) return;
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
    throw new EltError(`--${flag} ${value} is not a day (YYYY-MM-DD)`, ExitCode.usage);
  }
}

/** Checks the range, --top and --min-displays before anything is opened: bad values are usage errors (exit 2). */
export function checkChartOptions(options: CategoryCtrChartOptions): void {
  checkDay('from', options.from);
  checkDay('to', options.to);
  if (options.from !== undefined && options.to !== undefined && options.from > options.to) {
    throw new EltError(`--from ${options.from} is after --to ${options.to}`, ExitCode.usage);
  }
  if (options.top !== undefined && (!Number.isInteger(options.top) || options.top < 1)) {
    throw new EltError(`--top ${options.top} is not a whole number of categories (1 or more)`, ExitCode.usage);
  }
  const min = options.minDisplays;
  if (min !== undefined && (!Number.isInteger(min) || min < 1 || min > MAX_MIN_DISPLAYS)) {
    throw new EltError(`--min-displays ${min} is not a whole number of displays from 1 to ${MAX_MIN_DISPLAYS}`, ExitCode.usage);
  }
}
