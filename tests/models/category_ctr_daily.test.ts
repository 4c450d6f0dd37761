import { useModelDatabase } from './model-test-kit';

const models = useModelDatabase();

const mart = () => models.select('marts.category_ctr_daily', 'category, date');

test('category_ctr_daily counts displays and clicks with a non-empty string category (article id not required); empty or non-string categories and other events are excluded; ctr NULL without displays, may exceed 1', async () => {
  await models.load([
    // news, 15th: 2 displays, 2 clicks (one without an article id, one with a numeric id); a share does not count
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
    { ts: '2019-02-15 10:01:00.000 +0000', session: 's1', event: 'my_news_card_viewed', user: 'u1', attributes: { category: 'news' } },
    { ts: '2019-02-15 10:02:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 42, category: 'news' } },
    { ts: '2019-02-15 10:03:00.000 +0000', session: 's2', event: 'article_viewed', user: '', attributes: { id: 'a2', category: 'news' } },
    { ts: '2019-02-15 10:04:00.000 +0000', session: 's1', event: 'article_shared', user: 'u1', attributes: { id: 'a1', category: 'news' } },
    // sport, 15th: a click without a display
    { ts: '2019-02-15 11:00:00.000 +0000', session: 's3', event: 'article_viewed', user: 'u2', attributes: { id: 'a3', category: 'sport' } },
    // tech, 15th: 1 display, 3 clicks
    { ts: '2019-02-15 12:00:00.000 +0000', session: 's4', event: 'top_news_card_viewed', user: 'u2', attributes: { id: 'a4', category: 'tech' } },
    { ts: '2019-02-15 12:01:00.000 +0000', session: 's4', event: 'article_viewed', user: 'u2', attributes: { id: 'a4', category: 'tech' } },
    { ts: '2019-02-15 12:02:00.000 +0000', session: 's4', event: 'article_viewed', user: 'u2', attributes: { id: 'a4', category: 'tech' } },
    { ts: '2019-02-15 12:03:00.000 +0000', session: 's4', event: 'article_viewed', user: 'u2', attributes: { id: 'a5', category: 'tech' } },
    // no usable category: excluded
    { ts: '2019-02-15 13:00:00.000 +0000', session: 's5', event: 'top_news_card_viewed', user: 'u3', attributes: { id: 'a6', category: '' } },
    { ts: '2019-02-15 13:01:00.000 +0000', session: 's5', event: 'article_viewed', user: 'u3', attributes: { id: 'a6', category: 7 } },
    { ts: '2019-02-15 13:02:00.000 +0000', session: 's5', event: 'top_news_card_viewed', user: 'u3', attributes: { id: 'a6', category: null } },
    { ts: '2019-02-15 13:03:00.000 +0000', session: 's5', event: 'article_viewed', user: 'u3', attributes: { id: 'a6' } },
    { ts: '2019-02-15 13:04:00.000 +0000', session: 's5', event: 'article_viewed', user: 'u3', attributes: { id: 'a6', category: ['news'] } },
    // news, 16th: 3 displays, 1 click
    { ts: '2019-02-16 09:00:00.000 +0000', session: 's6', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
    { ts: '2019-02-16 09:01:00.000 +0000', session: 's6', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a2', category: 'news' } },
    { ts: '2019-02-16 09:02:00.000 +0000', session: 's6', event: 'my_news_card_viewed', user: 'u1', attributes: { id: 'a7', category: 'news' } },
    { ts: '2019-02-16 09:03:00.000 +0000', session: 's6', event: 'article_viewed', user: 'u1', attributes: { id: 'a7', category: 'news' } },
  ]);
  expect(await mart()).toEqual([
    { category: 'news', date: '2019-02-15', card_views: '2', article_views: '2', ctr: '1.00000000000000000000' },
    { category: 'news', date: '2019-02-16', card_views: '3', article_views: '1', ctr: '0.33333333333333333333' },
    { category: 'sport', date: '2019-02-15', card_views: '0', article_views: '1', ctr: null },
    { category: 'tech', date: '2019-02-15', card_views: '1', article_views: '3', ctr: '3.0000000000000000' },
  ]);
});

test('category_ctr_daily follows the reporting time zone setting after applySettings and refresh (Europe/Berlin)', async () => {
  await models.load([
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
    { ts: '2019-02-15 23:30:00.000 +0000', session: 's2', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
  ]);
  expect(await mart()).toEqual([{ category: 'news', date: '2019-02-15', card_views: '1', article_views: '1', ctr: '1.00000000000000000000' }]);
  await models.reconfigure({ timeZone: 'Europe/Berlin' });
  expect(await mart()).toEqual([
    { category: 'news', date: '2019-02-15', card_views: '0', article_views: '1', ctr: null },
    { category: 'news', date: '2019-02-16', card_views: '1', article_views: '0', ctr: '0.00000000000000000000' },
  ]);
});

test('category_ctr_daily dates events by their instant: other offsets and late events of the previous day land on their own day', async () => {
  await models.loadFiles([
    [{ ts: '2019-02-15 18:00:00.000 +0000', session: 's1', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } }],
    [
      { ts: '2019-02-16 08:00:00.000 +0000', session: 's2', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
      // late event of the 15th in the 16th file
      { ts: '2019-02-15 23:59:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
      // reads as the 16th, but is 23:30 UTC on the 15th
      { ts: '2019-02-16 00:30:00.000 +0100', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
      // reads as the 15th, but is 01:00 UTC on the 16th
      { ts: '2019-02-15 20:00:00.000 -0500', session: 's2', event: 'article_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
    ],
  ]);
  expect(await mart()).toEqual([
    { category: 'news', date: '2019-02-15', card_views: '1', article_views: '2', ctr: '2.0000000000000000' },
    { category: 'news', date: '2019-02-16', card_views: '1', article_views: '1', ctr: '1.00000000000000000000' },
  ]);
});
