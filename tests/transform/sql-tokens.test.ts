import { sqlCode } from '../../transform/model-header';
import { sqlTokens } from '../../transform/sql-tokens';

// The one tokenizer of model SQL (transform/sql-tokens.ts): what is code, and what only looks like it.

const kinds = (sql: string) => sqlTokens(sql).map((token) => [token.kind, token.text]);

test('the tokens joined are the SQL, whatever it holds (unterminated constructs run to the end)', () => {
  for (const sql of [
    'select \'a\'\'b\' as "x""y" -- c\n/* d /* e */ f */ $t$ g $t$',
    "select 'open",
    'select "open',
    '/* open',
    'select $q$ open',
    "E'\\'",
  ]) {
    expect(
      sqlTokens(sql)
        .map((token) => token.text)
        .join(''),
    ).toBe(sql);
  }
});

test('nested block comments, line comments, literals with doubled quotes, quoted names', () => {
  expect(kinds('a /* x /* y */ z */ b -- c\n\'it\'\'s\' "q""r"')).toEqual([
    ['code', 'a '],
    ['comment', '/* x /* y */ z */'],
    ['code', ' b '],
    ['comment', '-- c'],
    ['code', '\n'],
    ['string', "'it''s'"],
    ['code', ' '],
    ['quoted', '"q""r"'],
  ]);
});

test("an E'' literal ends at its closing quote, past a backslash-escaped one; a word ending in e is no escape prefix", () => {
  expect(kinds("E'a\\'  b' x")).toEqual([
    ['code', 'E'],
    ['string', "'a\\'  b'"],
    ['code', ' x'],
  ]);
  expect(kinds("where name = 'a\\' or marts.x")).toEqual([
    ['code', 'where name = '],
    ['string', "'a\\'"],
    ['code', ' or marts.x'],
  ]);
});

test('dollar quotes take a tag of letters, digits and underscores; a $ inside a name or a parameter is code', () => {
  expect(kinds('$tag_1$ marts.x $tag_1$ a$b$c $1')).toEqual([
    ['dollar', '$tag_1$ marts.x $tag_1$'],
    ['code', ' a$b$c $1'],
  ]);
});

test("the checksum's normal form keeps an E'' literal's spaces as written (it used to collapse those after an escaped quote)", () => {
  expect(sqlCode("select E'it\\'s   spaced'  as x -- c\n from t")).toBe("select E'it\\'s   spaced' as x from t");
});
