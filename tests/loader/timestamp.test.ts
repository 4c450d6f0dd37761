import { epochDay, timestampProblem } from '../../loader/formats/timestamp';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const ACCEPTED = [
  '2019-02-15 03:07:03.662 +0000',
  '2019-02-15T03:07:03.662+00:00',
  '2019-02-15 03:07:03 +0000',
  '2019-02-15 03:07:03.662Z',
  '2019-02-15T03:07:03Z',
  '2019-02-15 03:07:03.662 -0530',
  '2019-02-15 03:07:03.662+01',
  '2020-02-29 23:59:59.999999 +0000',
  '2019-02-15 03:07:03.123456789 +0000',
];

const REJECTED: [string, string][] = [
  ['', 'empty'],
  ['2019-02-15', 'date alone'],
  ['now', 'now'],
  ['2019-02-30 10:00:00.000 +0000', 'impossible date'],
  ['2019-02-15 25:00:00.000 +0000', 'impossible hour'],
  ['2019-02-15 10:60:00.000 +0000', 'impossible minute'],
  ['2019-13-01 10:00:00.000 +0000', 'impossible month'],
  ['2019-02-29 10:00:00.000 +0000', 'not a leap year'],
  ['2019-02-15 10:00:00.000', 'no offset'],
  ['2019-02-15 10:00 +0000', 'no seconds'],
  ['15/02/2019 10:00:00 +0000', 'other date format'],
  ['2019-02-15 10:00:00 +1600', 'offset out of range'],
  [' 2019-02-15 10:00:00 +0000', 'leading space'],
  ['1550200023', 'epoch number'],
  ['10000-01-01 00:00:00 +0000', 'five-digit year'],
  ['0000-12-31 23:59:59 +0000', 'year 0'],
];

/**
 * The rule is on the UTC instant: it must fall in 0001-01-01 00:00:00 .. 9999-12-31
 * 23:59:59.999999 UTC, whatever the offset, after rounding the fraction to
 * microseconds as Postgres does. Each accepted value with the instant Postgres must give.
 */
const BOUNDARY_ACCEPTED: [string, string][] = [
  ['0001-01-01 00:00:00 +0000', '0001-01-01 00:00:00.000000 AD'],
  ['0001-01-01 00:00:00 -0001', '0001-01-01 00:01:00.000000 AD'],
  ['0001-01-01 00:00:00 -1559', '0001-01-01 15:59:00.000000 AD'],
  ['0001-01-01 15:00:00 +1500', '0001-01-01 00:00:00.000000 AD'],
  ['0001-01-01 01:00:00+01:00', '0001-01-01 00:00:00.000000 AD'],
  ['9999-12-31 23:59:59 +0000', '9999-12-31 23:59:59.000000 AD'],
  ['9999-12-31 23:59:59.999999 +0000', '9999-12-31 23:59:59.999999 AD'],
  ['9999-12-31 23:59:59.9999994 +0000', '9999-12-31 23:59:59.999999 AD'],
  ['9999-12-31 08:59:59 -1500', '9999-12-31 23:59:59.000000 AD'],
  ['9999-12-31 23:59:59 +1559', '9999-12-31 08:00:59.000000 AD'],
];

/** Each rejected for its UTC instant only: the same wall time with +0000 (or a shorter fraction) is accepted. */
const BOUNDARY_REJECTED: [string, string][] = [
  ['0001-01-01 00:00:00 +0001', 'one minute before 0001-01-01 UTC'],
  ['0001-01-01 14:59:59 +1500', 'one second before 0001-01-01 UTC'],
  ['0001-01-01 00:59:59.999999+01:00', 'a microsecond before 0001-01-01 UTC'],
  ['9999-12-31 23:59:59 -0001', '10000-01-01 in UTC'],
  ['9999-12-31 23:59:59 -1500', '10000-01-01 in UTC'],
  ['9999-12-31 09:00:00 -1500', '10000-01-01 00:00:00 in UTC'],
  ['9999-12-31 23:59:59.9999995 +0000', 'a fraction Postgres rounds up to 10000-01-01'],
  ['9999-12-31 23:59:59.999999999Z', 'a fraction Postgres rounds up to 10000-01-01'],
];

test('epochDay agrees with Date.UTC on every day of years 1 to 10000', () => {
  const disagreements: string[] = [];
  const date = new Date(0);
  for (let year = 1; year <= 10000; year += 1) {
    for (let month = 1; month <= 12; month += 1) {
      for (const day of [1, 15, 28, 29, 30, 31]) {
        date.setUTCFullYear(year, month - 1, day); // years 0-99 too, unlike Date.UTC's two-digit years
        date.setUTCHours(0, 0, 0, 0);
        if (date.getUTCMonth() !== month - 1) continue; // not a day of that month
        if (epochDay(year, month, day) !== date.getTime() / 86_400_000) disagreements.push(`${year}-${month}-${day}`);
      }
    }
  }
  expect(disagreements).toEqual([]);
});

test.each(ACCEPTED)('accepts the explicit timestamp with offset %s', (value) => {
  expect(timestampProblem(value)).toBeUndefined();
});

test.each(REJECTED)('rejects %j (%s) with a reason', (value) => {
  expect(timestampProblem(value)).toMatch(/TIMESTAMP/);
});

test.each(BOUNDARY_ACCEPTED)('accepts %j: its UTC instant %s is in 0001..9999', (value) => {
  expect(timestampProblem(value)).toBeUndefined();
});

test.each(BOUNDARY_REJECTED)('rejects %j (%s): its UTC instant is outside 0001..9999', (value) => {
  expect(timestampProblem(value)).toMatch(/^TIMESTAMP ".*" is outside 0001-01-01\.\.9999-12-31 in UTC$/);
});

describe('agreement with Postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  test('every accepted timestamp is parsed by Postgres timestamptz to the same instant as by JavaScript', async () => {
    const { rows } = await db.pool.query<{ value: string; epoch_ms: string }>(
      `select value, round(extract(epoch from value::timestamptz) * 1000) as epoch_ms from unnest($1::text[]) as value`,
      [ACCEPTED],
    );
    for (const row of rows) {
      const iso = row.value
        .replace(' ', 'T')
        .replace(/ ?([+-]\d{2})(\d{2})?$/, (_m, h: string, m?: string) => `${h}:${m ?? '00'}`)
        .replace(' Z', 'Z');
      const js = Date.parse(iso.replace(/(\.\d{3})\d+/, '$1'));
      expect([row.value, Math.abs(Number(row.epoch_ms) - js) <= 1]).toEqual([row.value, true]);
    }
  });

  /** Each value as Postgres reads it (its UTC instant), or null where it refuses it; one query per value (pg_input_is_valid is Postgres 16+). */
  const utcOnServer = async (values: string[]) => {
    const rows: { value: string; utc: string | null }[] = [];
    for (const value of values) {
      const parsed = await db.pool
        .query<{ utc: string }>(`select to_char($1::timestamptz at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US AD') as utc`, [value])
        .then(
          (result) => result.rows[0]?.utc ?? null,
          () => null,
        );
      rows.push({ value, utc: parsed });
    }
    return rows;
  };

  test('at the 0001 and 9999 boundaries, with offsets at both ends, Postgres parses every accepted value to the UTC instant of the rule', async () => {
    const rows = await utcOnServer(BOUNDARY_ACCEPTED.map(([value]) => value));
    expect(rows.map((row) => [row.value, row.utc])).toEqual(BOUNDARY_ACCEPTED);
  });

  test('every value rejected at the boundaries is one Postgres refuses or places outside 0001..9999 AD in UTC', async () => {
    for (const row of await utcOnServer(BOUNDARY_REJECTED.map(([value]) => value))) {
      expect([row.value, row.utc !== null && /^\d{4}-.* AD$/.test(row.utc)]).toEqual([row.value, false]);
    }
  });
});
