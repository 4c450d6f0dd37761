import { columnsOf, parseHeader, setting, settingsOf, sqlCode } from '../../transform/model-header';

test('the header is the leading comment block: settings by key, every other line description, an indented line continues a setting', () => {
  const header = parseHeader(
    [
      '-- m: what it is.',
      '-- grain: one row per thing; key: id.',
      '--   an indented description line',
      '-- materialized: view',
      '-- index: a, b',
      '-- index: c',
      '-- column id: the id',
      '-- expect positive:',
      '--     id > 0',
      '--   and id < 10',
      'select 1 as id',
      '-- materialized: table (not header: after the SQL began)',
    ].join('\n'),
  );
  expect(header.description).toBe('m: what it is.\ngrain: one row per thing; key: id.\n  an indented description line');
  expect(setting(header, 'materialized')).toBe('view');
  expect(settingsOf(header, 'index').map((line) => line.value)).toEqual(['a, b', 'c']);
  expect(settingsOf(header, 'column').map((line) => [line.name, line.value])).toEqual([['id', 'the id']]);
  expect(settingsOf(header, 'expect').map((line) => [line.name, line.value])).toEqual([['positive', 'id > 0 and id < 10']]);
});

test('sqlCode drops comments and layout but keeps string literals, quoted names and dollar quotes as written', () => {
  expect(sqlCode('select 1 -- one\n   as x /* a /* nested */ block */ from t')).toBe('select 1 as x from t');
  expect(sqlCode("select '-- not a comment',  'it''s   here' as \"odd -- name\", $$ keep  -- this $$")).toBe(
    "select '-- not a comment', 'it''s   here' as \"odd -- name\", $$ keep  -- this $$",
  );
  expect(sqlCode('select a\n\n    from t')).toBe(sqlCode('select a from t'));
});

test('columnsOf names the columns an expression reads, in order, without SQL words, functions, types or literals', () => {
  expect(columnsOf("ctr is not distinct from article_views::numeric / nullif(card_views, 0) and kind <> 'the word'")).toEqual([
    'ctr',
    'article_views',
    'card_views',
    'kind',
  ]);
  expect(columnsOf('case when card_views <> 0 then article_views::numeric / card_views end is not distinct from ctr')).toEqual([
    'card_views',
    'article_views',
    'ctr',
  ]);
});
