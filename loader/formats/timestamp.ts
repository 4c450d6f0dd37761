/**
 * The TIMESTAMP rule of docs/contract.md: an explicit date and time with a UTC offset,
 * e.g. `2019-02-15 03:07:03.662 +0000`. The `T` separator, `Z`, `+00:00` and `+00`
 * are accepted; a missing offset, a date alone, `now`, an impossible date
 * (`2019-02-30`) or time (`25:00`) are not. The instant, in UTC, must fall in
 * 0001-01-01 00:00:00 .. 9999-12-31 23:59:59.999999: one rule on the instant, not on
 * the written date, so `9999-12-31 23:59:59 -1500` (10000-01-01 in UTC) is rejected
 * like `10000-01-01 00:00:00 +0000`. Every value accepted here is one that Postgres
 * parses as timestamptz to the same instant (a test checks this on a real server).
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ?(?:Z|([+-])(\d{2})(?::?(\d{2}))?)$/;

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Days from 1970-01-01 to the given date of the proleptic Gregorian calendar
 * (year 0 and later), in integer arithmetic: the loader asks it of every row.
 * The algorithm is H. Hinnant's days_from_civil (a test holds it to Date.UTC).
 */
export function epochDay(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

/** The first and last whole second of the accepted range, UTC, in seconds since 1970. */
const FIRST_SECOND = epochDay(1, 1, 1) * DAY_SECONDS;
const LAST_SECOND = epochDay(10000, 1, 1) * DAY_SECONDS - 1;

/**
 * Whether Postgres rounds the fraction up to the next whole second: it keeps
 * microseconds, as rint(fraction * 1e6) in doubles (ties to even), so
 * `.9999995` becomes the next second. Same arithmetic here, so the two agree.
 */
function roundsUpToNextSecond(fraction: string | undefined): boolean {
  if (fraction === undefined) return false;
  const micros = Number(`0.${fraction}`) * 1e6;
  let rounded = Math.round(micros);
  if (rounded - micros === 0.5 && rounded % 2 === 1) rounded -= 1; // rint: ties to even
  return rounded === 1e6;
}

/** Why `value` is not an acceptable event timestamp, or undefined when it is. */
export function timestampProblem(value: string): string | undefined {
  const match = TIMESTAMP.exec(value);
  if (!match) {
    return value === '' ? 'TIMESTAMP is empty' : `TIMESTAMP "${value.slice(0, 60)}" is not a date and time with a UTC offset`;
  }
  const [year, month, day, hour, minute, second] = [
    Number(match[1]),
    Number(match[2]),
    Number(match[3]),
    Number(match[4]),
    Number(match[5]),
    Number(match[6]),
  ];
  const [fraction, sign, offsetHours, offsetMinutes] = [match[7], match[8], Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return `TIMESTAMP "${value}" is not a valid calendar date`;
  }
  if (hour > 23 || minute > 59 || second > 59) return `TIMESTAMP "${value}" is not a valid time of day`;
  if (offsetHours > 15 || offsetMinutes > 59) return `TIMESTAMP "${value}" has an invalid UTC offset`;
  const offsetSeconds = (sign === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  const utcSecond =
    epochDay(year, month, day) * DAY_SECONDS + hour * 3600 + minute * 60 + second - offsetSeconds + (roundsUpToNextSecond(fraction) ? 1 : 0);
  if (utcSecond < FIRST_SECOND || utcSecond > LAST_SECOND) return `TIMESTAMP "${value}" is outside 0001-01-01..9999-12-31 in UTC`;
  return undefined;
}
