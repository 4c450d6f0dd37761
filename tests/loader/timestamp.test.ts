import { timestampProblem } from '../../loader/timestamp';
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
];

test.each(ACCEPTED)('accepts the explicit timestamp with offset %s', (value) => {
  expect(timestampProblem(value)).toBeUndefined();
});

test.each(REJECTED)('rejects %j (%s) with a reason', (value) => {
  expect(timestampProblem(value)).toMatch(/TIMESTAMP/);
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
      const iso = row.value.replace(' ', 'T').replace(/ ?([+-]\d{2})(\d{2})?$/, (_m, h: string, m?: string) => `${h}:${m ?? '00'}`).replace(' Z', 'Z');
      const js = Date.parse(iso.replace(/(\.\d{3})\d+/, '$1'));
      expect([row.value, Math.abs(Number(row.epoch_ms) - js) <= 1]).toEqual([row.value, true]);
    }
  });
});
