import { useModelDatabase } from './model-test-kit';

const models = useModelDatabase();

const mart = () => models.select('marts.article_performance', 'article_id, date');

test('article_performance counts displays and clicks per day; cumulative_article_views runs over the article days, displays-only days keep it; ctr is NULL without displays and may exceed 1', async () => {
  await models.load([
    // a1 on the 15th: 2 displays, 1 click
    {
      ts: '2019-02-15 09:00:00.000 +0000',
      session: 's1',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-15 09:05:00.000 +0000',
      session: 's2',
      event: 'my_news_card_viewed',
      user: 'u2',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-15 09:06:00.000 +0000',
      session: 's1',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    // a1 on the 16th: displays only
    {
      ts: '2019-02-16 09:00:00.000 +0000',
      session: 's3',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-16 09:01:00.000 +0000',
      session: 's3',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-16 09:02:00.000 +0000',
      session: 's4',
      event: 'my_news_card_viewed',
      user: 'u2',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    // a1 on the 17th: only another event name, so no row
    {
      ts: '2019-02-17 09:00:00.000 +0000',
      session: 's5',
      event: 'article_shared',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    // a1 on the 18th: 1 display, 2 clicks
    {
      ts: '2019-02-18 09:00:00.000 +0000',
      session: 's6',
      event: 'my_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-18 09:01:00.000 +0000',
      session: 's6',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-18 09:02:00.000 +0000',
      session: 's7',
      event: 'article_viewed',
      user: 'u2',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    // a1 on the 19th: a click only
    {
      ts: '2019-02-19 09:00:00.000 +0000',
      session: 's8',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    // a2: a click without a display (by an unknown user), then a display the next day
    {
      ts: '2019-02-15 10:00:00.000 +0000',
      session: 's9',
      event: 'article_viewed',
      user: '',
      attributes: { id: 'a2', title: 'T2', category: 'sport' },
    },
    {
      ts: '2019-02-16 10:00:00.000 +0000',
      session: 's9',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a2', title: 'T2', category: 'sport' },
    },
    // a3: never displayed nor clicked
    {
      ts: '2019-02-15 11:00:00.000 +0000',
      session: 's1',
      event: 'article_shared',
      user: 'u1',
      attributes: { id: 'a3', title: 'T3', category: 'news' },
    },
  ]);
  expect(await mart()).toEqual([
    {
      article_id: 'a1',
      date: '2019-02-15',
      title: 'T1',
      category: 'news',
      card_views: '2',
      article_views: '1',
      cumulative_article_views: '1',
      ctr: '0.50000000000000000000',
    },
    {
      article_id: 'a1',
      date: '2019-02-16',
      title: 'T1',
      category: 'news',
      card_views: '3',
      article_views: '0',
      cumulative_article_views: '1',
      ctr: '0.00000000000000000000',
    },
    {
      article_id: 'a1',
      date: '2019-02-18',
      title: 'T1',
      category: 'news',
      card_views: '1',
      article_views: '2',
      cumulative_article_views: '3',
      ctr: '2.0000000000000000',
    },
    {
      article_id: 'a1',
      date: '2019-02-19',
      title: 'T1',
      category: 'news',
      card_views: '0',
      article_views: '1',
      cumulative_article_views: '4',
      ctr: null,
    },
    {
      article_id: 'a2',
      date: '2019-02-15',
      title: 'T2',
      category: 'sport',
      card_views: '0',
      article_views: '1',
      cumulative_article_views: '1',
      ctr: null,
    },
    {
      article_id: 'a2',
      date: '2019-02-16',
      title: 'T2',
      category: 'sport',
      card_views: '1',
      article_views: '0',
      cumulative_article_views: '1',
      ctr: '0.00000000000000000000',
    },
  ]);
});

test('article_performance: an id that is not a non-empty string is no article', async () => {
  await models.load([
    {
      ts: '2019-02-15 09:00:00.000 +0000',
      session: 's1',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-15 09:01:00.000 +0000',
      session: 's1',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: '', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-15 09:02:00.000 +0000',
      session: 's1',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: 42, title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-15 09:03:00.000 +0000',
      session: 's1',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: null, title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-15 09:04:00.000 +0000',
      session: 's1',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: { id: 'a1' }, title: 'T1', category: 'news' },
    },
    { ts: '2019-02-15 09:05:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { title: 'T1', category: 'news' } },
    {
      ts: '2019-02-15 09:06:00.000 +0000',
      session: 's1',
      event: 'my_news_card_viewed',
      user: 'u1',
      attributes: { id: '42', title: 'T42', category: 'news' },
    },
  ]);
  expect(await mart()).toEqual([
    {
      article_id: '42',
      date: '2019-02-15',
      title: 'T42',
      category: 'news',
      card_views: '1',
      article_views: '0',
      cumulative_article_views: '0',
      ctr: '0.00000000000000000000',
    },
    {
      article_id: 'a1',
      date: '2019-02-15',
      title: 'T1',
      category: 'news',
      card_views: '1',
      article_views: '0',
      cumulative_article_views: '0',
      ctr: '0.00000000000000000000',
    },
  ]);
});

test('article_performance picks title and category from the latest event of the article that day carrying one, of any event type (by instant; ties: greatest value)', async () => {
  await models.load([
    // a1 on the 15th: the latest event, a share, names the article though it is neither display nor click
    {
      ts: '2019-02-15 12:00:00.000 +0000',
      session: 's1',
      event: 'article_shared',
      user: 'u1',
      attributes: { id: 'a1', title: 'Shared', category: 'zzz' },
    },
    { ts: '2019-02-15 11:00:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a1', title: 'New', category: '' } },
    {
      ts: '2019-02-15 10:00:00.000 +0000',
      session: 's1',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'Old', category: 'news' },
    },
    // a1 on the 16th: 12:00 +0200 reads later but is 10:00 UTC, before 11:00 UTC
    {
      ts: '2019-02-16 11:00:00.000 +0000',
      session: 's2',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'Instant', category: 'science' },
    },
    {
      ts: '2019-02-16 12:00:00.000 +0200',
      session: 's2',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'Wall', category: 'zoo' },
    },
    // a2 on the 15th: two events at the same instant (written with different offsets): the greatest value wins
    {
      ts: '2019-02-15 09:00:00.000 +0000',
      session: 's3',
      event: 'my_news_card_viewed',
      user: 'u2',
      attributes: { id: 'a2', title: 'Charlie', category: 'cars' },
    },
    {
      ts: '2019-02-15 11:00:00.000 +0100',
      session: 's3',
      event: 'article_viewed',
      user: 'u2',
      attributes: { id: 'a2', title: 'Bravo', category: 'arts' },
    },
    {
      ts: '2019-02-15 10:00:00.000 +0000',
      session: 's3',
      event: 'my_news_card_viewed',
      user: 'u2',
      attributes: { id: 'a2', title: 'Alpha', category: 'books' },
    },
    // a4: only a share that day, no display or click: no row
    {
      ts: '2019-02-15 09:00:00.000 +0000',
      session: 's5',
      event: 'article_shared',
      user: 'u3',
      attributes: { id: 'a4', title: 'Lonely', category: 'news' },
    },
    // a3: no usable title or category at all
    {
      ts: '2019-02-15 09:00:00.000 +0000',
      session: 's4',
      event: 'top_news_card_viewed',
      user: 'u3',
      attributes: { id: 'a3', title: '', category: 5 },
    },
    { ts: '2019-02-15 09:01:00.000 +0000', session: 's4', event: 'top_news_card_viewed', user: 'u3', attributes: { id: 'a3' } },
  ]);
  expect(await mart()).toEqual([
    {
      article_id: 'a1',
      date: '2019-02-15',
      title: 'Shared',
      category: 'zzz',
      card_views: '1',
      article_views: '1',
      cumulative_article_views: '1',
      ctr: '1.00000000000000000000',
    },
    {
      article_id: 'a1',
      date: '2019-02-16',
      title: 'Instant',
      category: 'science',
      card_views: '1',
      article_views: '1',
      cumulative_article_views: '2',
      ctr: '1.00000000000000000000',
    },
    {
      article_id: 'a2',
      date: '2019-02-15',
      title: 'Bravo',
      category: 'books',
      card_views: '2',
      article_views: '1',
      cumulative_article_views: '1',
      ctr: '0.50000000000000000000',
    },
    {
      article_id: 'a3',
      date: '2019-02-15',
      title: null,
      category: null,
      card_views: '2',
      article_views: '0',
      cumulative_article_views: '0',
      ctr: '0.00000000000000000000',
    },
  ]);
});

test('article_performance follows the reporting time zone setting (Europe/Berlin moves 23:30 UTC to the next day)', async () => {
  await models.load([
    {
      ts: '2019-02-15 12:00:00.000 +0000',
      session: 's1',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-15 23:30:00.000 +0000',
      session: 's2',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
    {
      ts: '2019-02-16 00:30:00.000 +0000',
      session: 's2',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'T1', category: 'news' },
    },
  ]);
  expect(await mart()).toEqual([
    {
      article_id: 'a1',
      date: '2019-02-15',
      title: 'T1',
      category: 'news',
      card_views: '1',
      article_views: '1',
      cumulative_article_views: '1',
      ctr: '1.00000000000000000000',
    },
    {
      article_id: 'a1',
      date: '2019-02-16',
      title: 'T1',
      category: 'news',
      card_views: '0',
      article_views: '1',
      cumulative_article_views: '2',
      ctr: null,
    },
  ]);
  await models.reconfigure({ timeZone: 'Europe/Berlin' });
  expect(await mart()).toEqual([
    {
      article_id: 'a1',
      date: '2019-02-15',
      title: 'T1',
      category: 'news',
      card_views: '0',
      article_views: '1',
      cumulative_article_views: '1',
      ctr: null,
    },
    {
      article_id: 'a1',
      date: '2019-02-16',
      title: 'T1',
      category: 'news',
      card_views: '1',
      article_views: '1',
      cumulative_article_views: '2',
      ctr: '1.00000000000000000000',
    },
  ]);
});

test('article_performance counts a late event (of the previous day, in the next day file) on its own day', async () => {
  await models.loadFiles([
    [
      {
        ts: '2019-02-15 10:00:00.000 +0000',
        session: 's1',
        event: 'top_news_card_viewed',
        user: 'u1',
        attributes: { id: 'a1', title: 'T1', category: 'news' },
      },
    ],
    [
      {
        ts: '2019-02-16 09:00:00.000 +0000',
        session: 's2',
        event: 'top_news_card_viewed',
        user: 'u1',
        attributes: { id: 'a1', title: 'T1', category: 'news' },
      },
      {
        ts: '2019-02-15 23:59:59.999 +0000',
        session: 's1',
        event: 'article_viewed',
        user: 'u1',
        attributes: { id: 'a1', title: 'T1', category: 'news' },
      },
    ],
  ]);
  expect(await mart()).toEqual([
    {
      article_id: 'a1',
      date: '2019-02-15',
      title: 'T1',
      category: 'news',
      card_views: '1',
      article_views: '1',
      cumulative_article_views: '1',
      ctr: '1.00000000000000000000',
    },
    {
      article_id: 'a1',
      date: '2019-02-16',
      title: 'T1',
      category: 'news',
      card_views: '1',
      article_views: '0',
      cumulative_article_views: '1',
      ctr: '0.00000000000000000000',
    },
  ]);
});
