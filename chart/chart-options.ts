import { EltError, ExitCode } from '../core/errors';

export interface CategoryCtrChartOptions {
  /** folder for ctr_per_category.svg and ctr_per_category.png (created if missing) */
  outDir: string;
  /** keep the N categories with most displays (card views) in the range */
  top?: number;
  /** first day, YYYY-MM-DD (inclusive) */
  from?: string;
  /** last day, YYYY-MM-DD (inclusive) */
  to?: string;
}

/** A YYYY-MM-DD that is a real calendar day, or a usage error naming the flag. */
function checkDay(flag: string, value: string | undefined): void {
  if (value === undefined) return;
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
    throw new EltError(`--${flag} ${value} is not a day (YYYY-MM-DD)`, ExitCode.usage);
  }
}

/** Checks the range and --top before anything is opened: bad values are usage errors (exit 2). */
export function checkChartOptions(options: CategoryCtrChartOptions): void {
  checkDay('from', options.from);
  checkDay('to', options.to);
  if (options.from !== undefined && options.to !== undefined && options.from > options.to) {
    throw new EltError(`--from ${options.from} is after --to ${options.to}`, ExitCode.usage);
  }
  if (options.top !== undefined && (!Number.isInteger(options.top) || options.top < 1)) {
    throw new EltError(`--top ${options.top} is not a whole number of categories (1 or more)`, ExitCode.usage);
  }
}
