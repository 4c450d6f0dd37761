/**
 * The TIMESTAMP rule of metrics.md: an explicit date and time with a UTC offset,
 * e.g. `2019-02-15 03:07:03.662 +0000`. The `T` separator, `Z`, `+00:00` and `+00`
 * are accepted; a missing offset, a date alone, `now`, an impossible date
 * (`2019-02-30`) or time (`25:00`) are not. Every value accepted here is one that
 * Postgres parses as timestamptz to the same instant (a test checks this on a real server).
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})? ?(?:Z|[+-](\d{2})(?::?(\d{2}))?)$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Why `value` is not an acceptable event timestamp, or undefined when it is. */
export function timestampProblem(value: string): string | undefined {
  const match = TIMESTAMP.exec(value);
  if (!match) {
    return value === ''
      ? 'TIMESTAMP is empty'
      : `TIMESTAMP "${value.slice(0, 60)}" is not a date and time with a UTC offset`;
  }
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number, number, number, number, number, number, number, number,
  ];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return `TIMESTAMP "${value}" is not a valid calendar date`;
  }
  if (hour > 23 || minute > 59 || second > 59) return `TIMESTAMP "${value}" is not a valid time of day`;
  if (offsetHours > 15 || offsetMinutes > 59) return `TIMESTAMP "${value}" has an invalid UTC offset`;
  return undefined;
}
