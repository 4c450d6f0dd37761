import { readCategoryCtr } from '../../chart/category-ctr-rows';
import { MAX_CHART_CATEGORIES, MAX_CHART_DAYS } from '../../chart/chart-limits';
import { dailySeries } from '../../chart/daily-series';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { insertRawEvents } from '../helpers/raw-events';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';
import { categoryDay, CHART_FIXTURE } from './chart-fixture';

/** A database whose mart is built from `rows`. */
async function martOf(rows: Parameters<typeof insertRawEvents>[1]): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrated: true });
  await insertRawEvents(db.pool, rows);
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  return db;
}

const dayAfter = (first: string, days: number) => new Date(Date.parse(first) + days * 86_400_000).toISOString().slice(0, 10);

describe('one event dated 9999-12-31 among three days of 2019', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await martOf([...CHART_FIXTURE, ...categoryDay('news', '9999-12-31', 1, 0), ...categoryDay('far', '9999-12-31', 1, 0)]);
  });
  afterAll(() => db.drop());

  test('the rows are those of the three 2019 days only; the far day is counted as left out', async () => {
    const chart = await readCategoryCtr(db.pool);
    expect([chart.firstDay, chart.lastDay]).toEqual(['2019-02-15', '2019-02-17']);
    expect(chart.rows.every((row) => row.date.startsWith('2019-02-1'))).toBe(true);
    expect(chart.rows).toHaveLength(10);
    expect(chart.leftOut).toEqual({ days: 1, firstDay: '9999-12-31', lastDay: '9999-12-31', categories: 0 });
  });

  test('the daily series has one entry per category and drawn day: 4 categories x 3 days, not millions', async () => {
    const series = dailySeries(await readCategoryCtr(db.pool), 1);
    expect(series.days).toEqual(['2019-02-15', '2019-02-16', '2019-02-17']);
    expect(series.categories).toEqual(['sport', 'news', 'tech', 'weather']);
    expect(series.cells).toHaveLength(12);
  });

  test('a range that asks for the far day alone charts it', async () => {
    const chart = await readCategoryCtr(db.pool, { from: '9999-01-01' });
    expect([chart.firstDay, chart.lastDay, chart.rows.length]).toEqual(['9999-12-31', '9999-12-31', 2]);
    expect(chart.leftOut.days).toBe(0);
  });
});

describe(`a mart spanning more than ${MAX_CHART_DAYS} days`, () => {
  let db: TestDatabase;
  const first = '2018-01-01';
  const spanDays = MAX_CHART_DAYS + 34;
  const last = dayAfter(first, spanDays - 1);
  beforeAll(async () => {
    // one display a day, and a burst of displays on the last day
    const rows = Array.from({ length: spanDays }, (_, index) => categoryDay('daily', dayAfter(first, index), 1, 0)).flat();
    db = await martOf([...rows, ...categoryDay('burst', last, 10, 1)]);
  });
  afterAll(() => db.drop());

  test(`returns at most ${MAX_CHART_DAYS} days: the consecutive days with most displays, the others counted as left out`, async () => {
    const chart = await readCategoryCtr(db.pool);
    expect([chart.firstDay, chart.lastDay]).toEqual([dayAfter(last, -(MAX_CHART_DAYS - 1)), last]);
    expect(new Set(chart.rows.map((row) => row.date)).size).toBe(MAX_CHART_DAYS);
    expect(chart.rows).toHaveLength(MAX_CHART_DAYS + 1);
    expect(chart.leftOut).toEqual({ days: spanDays - MAX_CHART_DAYS, firstDay: first, lastDay: dayAfter(last, -MAX_CHART_DAYS), categories: 0 });
    expect(dailySeries(chart, 1).cells).toHaveLength(2 * MAX_CHART_DAYS);
  });

  test('--from/--to still choose the range the window is taken from', async () => {
    const chart = await readCategoryCtr(db.pool, { to: '2018-01-10' });
    expect([chart.firstDay, chart.lastDay, chart.leftOut.days]).toEqual(['2018-01-01', '2018-01-10', 0]);
  });
});

test(`more than ${MAX_CHART_CATEGORIES} categories: the ${MAX_CHART_CATEGORIES} with most displays are returned, the others counted as left out`, async () => {
  const count = MAX_CHART_CATEGORIES + 7;
  const db = await martOf(
    Array.from({ length: count }, (_, index) => categoryDay(`c${String(index).padStart(2, '0')}`, '2019-02-15', 1 + (index % 3), 0)).flat(),
  );
  try {
    const all = await readCategoryCtr(db.pool);
    expect([all.rows.length, all.leftOut.categories]).toEqual([MAX_CHART_CATEGORIES, 7]);
    const top = await readCategoryCtr(db.pool, { top: 3 });
    expect([top.rows.map((row) => row.category), top.leftOut.categories]).toEqual([['c02', 'c05', 'c08'], 0]);
    const tooMany = await readCategoryCtr(db.pool, { top: count + 10 });
    expect([tooMany.rows.length, tooMany.leftOut.categories]).toEqual([MAX_CHART_CATEGORIES, 7]);
  } finally {
    await db.drop();
  }
});
