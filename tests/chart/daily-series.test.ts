import { MAX_CHART_DAYS } from '../../chart/chart-limits';
import { calendarDays, dailySeries } from '../../chart/daily-series';

const row = (category: string, date: string, ctr: number | null) => ({ category, date, cardViews: 1, articleViews: 1, ctr });

test('calendarDays lists every day from the first to the last, across a month end', () => {
  expect(calendarDays('2019-02-27', '2019-03-02')).toEqual(['2019-02-27', '2019-02-28', '2019-03-01', '2019-03-02']);
  expect(calendarDays('2019-02-15', '2019-02-15')).toEqual(['2019-02-15']);
});

test('dailySeries: a NULL ctr stays null, a day without a row becomes null too (a gap, never 0); categories keep the rows order', () => {
  const rows = [row('sport', '2019-02-15', 0.5), row('sport', '2019-02-17', 0), row('news', '2019-02-15', null), row('news', '2019-02-16', 0.25)];
  const series = dailySeries({ rows, firstDay: '2019-02-15', lastDay: '2019-02-17' });
  expect(series.categories).toEqual(['sport', 'news']);
  expect(series.days).toEqual(['2019-02-15', '2019-02-16', '2019-02-17']);
  expect(series.points).toEqual([
    { category: 'sport', date: '2019-02-15', ctr: 0.5 },
    { category: 'sport', date: '2019-02-16', ctr: null },
    { category: 'sport', date: '2019-02-17', ctr: 0 },
    { category: 'news', date: '2019-02-15', ctr: null },
    { category: 'news', date: '2019-02-16', ctr: 0.25 },
    { category: 'news', date: '2019-02-17', ctr: null },
  ]);
});

test(`calendarDays refuses a span of more than ${MAX_CHART_DAYS} days (2019 to 9999) instead of listing millions of days`, () => {
  expect(calendarDays('2019-02-15', '2020-02-15')).toHaveLength(MAX_CHART_DAYS);
  expect(() => calendarDays('2019-02-15', '2020-02-16')).toThrow(/more than 366 days/);
  expect(() => calendarDays('2019-02-15', '9999-12-31')).toThrow(/2019-02-15\.\.9999-12-31 is more than 366 days/);
});

test('dailySeries with a row dated 9999 outside the drawn days: the entries are those of the drawn days only', () => {
  const rows = [row('sport', '2019-02-15', 0.5), row('news', '2019-02-16', 0.25), row('far', '9999-12-31', 1)];
  const series = dailySeries({ rows, firstDay: '2019-02-15', lastDay: '2019-02-16' });
  expect(series.categories).toEqual(['sport', 'news']);
  expect(series.points).toHaveLength(4);
});
