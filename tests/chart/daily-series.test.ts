import { MAX_CHART_DAYS } from '../../chart/chart-limits';
import { calendarDays, dailySeries } from '../../chart/daily-series';

const row = (category: string, date: string, ctr: number | null) => ({ category, date, cardViews: 1, articleViews: 1, ctr });

test('calendarDays lists every day from the first to the last, across a month end', () => {
  expect(calendarDays('2019-02-27', '2019-03-02')).toEqual(['2019-02-27', '2019-02-28', '2019-03-01', '2019-03-02']);
  expect(calendarDays('2019-02-15', '2019-02-15')).toEqual(['2019-02-15']);
});

const cell = (category: string, date: string, displays: number, ctr: number | null, status: string) => ({ category, date, displays, ctr, status });

test('dailySeries: one cell per category and day; no displays (a NULL ctr or no row) is "none", fewer than the threshold "few", never a 0%', () => {
  const rows = [
    { ...row('sport', '2019-02-15', 0.5), cardViews: 200 },
    { ...row('sport', '2019-02-17', 0), cardViews: 100 },
    { ...row('news', '2019-02-15', null), cardViews: 0 },
    { ...row('news', '2019-02-16', 0.25), cardViews: 99 },
  ];
  const series = dailySeries({ rows, firstDay: '2019-02-15', lastDay: '2019-02-17' }, 100);
  expect(series.categories).toEqual(['sport', 'news']);
  expect(series.days).toEqual(['2019-02-15', '2019-02-16', '2019-02-17']);
  expect(series.minDisplays).toBe(100);
  expect(series.cells).toEqual([
    cell('sport', '2019-02-15', 200, 0.5, 'ok'),
    cell('sport', '2019-02-16', 0, null, 'none'),
    cell('sport', '2019-02-17', 100, 0, 'ok'),
    cell('news', '2019-02-15', 0, null, 'none'),
    cell('news', '2019-02-16', 99, 0.25, 'few'),
    cell('news', '2019-02-17', 0, null, 'none'),
  ]);
});

test(`calendarDays refuses a span of more than ${MAX_CHART_DAYS} days (2019 to 9999) instead of listing millions of days`, () => {
  expect(calendarDays('2019-02-15', '2020-02-15')).toHaveLength(MAX_CHART_DAYS);
  expect(() => calendarDays('2019-02-15', '2020-02-16')).toThrow(/more than 366 days/);
  expect(() => calendarDays('2019-02-15', '9999-12-31')).toThrow(/2019-02-15\.\.9999-12-31 is more than 366 days/);
});

test('dailySeries with a row dated 9999 outside the drawn days: the entries are those of the drawn days only', () => {
  const rows = [row('sport', '2019-02-15', 0.5), row('news', '2019-02-16', 0.25), row('far', '9999-12-31', 1)];
  const series = dailySeries({ rows, firstDay: '2019-02-15', lastDay: '2019-02-16' }, 1);
  expect(series.categories).toEqual(['sport', 'news']);
  expect(series.cells).toHaveLength(4);
});
