import { calendarDays, dailySeries } from '../../chart/daily-series';

const row = (category: string, date: string, ctr: number | null) => ({ category, date, cardViews: 1, articleViews: 1, ctr });

test('calendarDays lists every day from the first to the last, across a month end', () => {
  expect(calendarDays('2019-02-27', '2019-03-02')).toEqual(['2019-02-27', '2019-02-28', '2019-03-01', '2019-03-02']);
  expect(calendarDays('2019-02-15', '2019-02-15')).toEqual(['2019-02-15']);
});

test('dailySeries: a NULL ctr stays null, a day without a row becomes null too (a gap, never 0); categories keep the rows order', () => {
  const series = dailySeries([row('sport', '2019-02-15', 0.5), row('sport', '2019-02-17', 0), row('news', '2019-02-15', null), row('news', '2019-02-16', 0.25)]);
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
