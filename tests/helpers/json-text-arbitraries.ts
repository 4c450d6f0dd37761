import fc from 'fast-check';

/**
 * fast-check arbitraries of JSON texts as a hostile writer may write them: whitespace
 * of every kind JSON allows (space, tab, CR, LF when the text may span lines) between
 * any two tokens, every character of a string raw or escaped in each way JSON allows
 * (short escapes, \u in either case, surrogate pairs), the bytes COPY treats specially
 * in every place, duplicate and odd keys (`__proto__`, the empty key, one key written
 * two ways), numbers in every notation; and texts that are not (quite) JSON objects:
 * a byte inserted or removed anywhere, cut short, another kind of value, bytes that
 * are not UTF-8. The tests judge each text with an oracle of their own (JSON.parse
 * and the contract), never by how it was made.
 */

/** Characters that matter to COPY, to JSON or to UTF-8, mixed into every string. */
const SPECIAL_CHARS = ['\t', '\n', '\r', '\\', '"', '/', ',', '\x01', '\x1f', '\x7f', '\0', '\b', '\f', '\u2028', '\uFEFF', 'é', '😀', '.'];

/** One character of any kind: mostly any code point (no lone surrogates), often one of SPECIAL_CHARS. */
export const anyChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_CHARS) },
  { weight: 2, arbitrary: fc.constantFrom('a', 'b', ' ') },
);

/** A string of anyChar. */
export const anyString = (maxLength = 8): fc.Arbitrary<string> => fc.string({ unit: anyChar, maxLength });

/** JSON whitespace between two tokens: mostly none; `lineBreaks`: an LF may be part of it. */
export function jsonWhitespace(lineBreaks: boolean): fc.Arbitrary<string> {
  const space = fc.constantFrom(' ', '\t', '\r', ...(lineBreaks ? ['\n'] : []));
  return fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.string({ unit: space, minLength: 1, maxLength: 3 }) });
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

const hex4 = (unit: number, upper: boolean): string => {
  const digits = unit.toString(16).padStart(4, '0');
  return `\\u${upper ? digits.toUpperCase() : digits}`;
};

/** The ways JSON may write `char` inside a string: raw (when allowed), its short escape, \u escapes. */
function writtenForms(char: string): string[] {
  const code = char.codePointAt(0) as number;
  const forms: string[] = [];
  if (code >= 0x20 && char !== '"' && char !== '\\') forms.push(char);
  const short = SHORT_ESCAPES[char];
  if (short !== undefined) forms.push(short);
  const units = Array.from({ length: char.length }, (_, index) => char.charCodeAt(index));
  forms.push(units.map((unit) => hex4(unit, false)).join(''), units.map((unit) => hex4(unit, true)).join(''));
  return forms;
}

/** One piece of a string's text: a character written one of its ways, or (rarely) a surrogate escape, paired or alone. */
const stringPiece: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(anyChar, fc.nat()).map(([char, pick]) => writtenForms(char)[pick % writtenForms(char).length] as string) },
  { weight: 1, arbitrary: fc.constantFrom('\\ud83d\\ude00', '\\uD800', '\\udc00', '\\u0000') },
);

/** A JSON string token, quotes included. */
export const jsonString: fc.Arbitrary<string> = fc.array(stringPiece, { maxLength: 6 }).map((pieces) => `"${pieces.join('')}"`);

const digits = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });

/** A JSON number token in any notation: sign, integer, fraction, exponent (some past the contract's bounds). */
export const jsonNumber: fc.Arbitrary<string> = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      fc.constant('0'),
      fc.tuple(fc.constantFrom(...'123456789'), digits(0, 22)).map(([first, rest]) => first + rest),
    ),
    fc.option(digits(1, 22)),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 4))),
  )
  .map(
    ([negative, integer, fraction, exponent]) =>
      `${negative ? '-' : ''}${integer}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : exponent.join('')}`,
  );

/** Keys: any string, or one of a few that collide (a duplicate; the same key written as an escape) or that objects treat specially. */
const jsonKey: fc.Arbitrary<string> = fc.oneof(jsonString, fc.constantFrom('"a"', '"\\u0061"', '"b"', '"__proto__"', '"constructor"', '""'));

/** JSON texts: `object` (the documents), `value` (any value), with whitespace from `jsonWhitespace(lineBreaks)`. */
export function jsonTexts(lineBreaks: boolean): { object: fc.Arbitrary<string>; value: fc.Arbitrary<string> } {
  const ws = jsonWhitespace(lineBreaks);
  const scalar = fc.oneof(jsonString, jsonNumber, fc.constantFrom('true', 'false', 'null'));
  const texts = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
    array: fc
      .tuple(ws, fc.array(fc.tuple(ws, tie('value'), ws), { maxLength: 4 }))
      .map(([empty, items]) => `[${items.length === 0 ? empty : items.map((item) => item.join('')).join(',')}]`),
    object: fc
      .tuple(ws, fc.array(fc.tuple(ws, jsonKey, ws, ws, tie('value'), ws), { maxLength: 5 }))
      .map(
        ([empty, members]) =>
          `{${members.length === 0 ? empty : members.map(([before, key, afterKey, beforeValue, value, after]) => `${before}${key}${afterKey}:${beforeValue}${value}${after}`).join(',')}}`,
      ),
  }));
  return {
    object: fc.tuple(ws, texts.object, ws).map((parts) => parts.join('')),
    value: texts.value,
  };
}

/** Bytes that are not UTF-8: a stray continuation byte, a cut sequence, an encoded surrogate, an overlong form. */
const NOT_UTF8 = [[0xff], [0x80], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80]];

/**
 * A JSON object's text, as UTF-8, often spoiled: a character inserted (a COPY-special
 * byte, JSON syntax, whitespace) or removed at any place, cut short, replaced by
 * another kind of value, or bytes that are not UTF-8 spliced in. Many spoils leave it
 * valid (a tab between tokens): the oracle decides.
 */
export function jsonDocumentBytes(lineBreaks: boolean): fc.Arbitrary<Buffer> {
  const { object, value } = jsonTexts(lineBreaks);
  const inserted = fc.oneof(fc.constantFrom('\t', '\r', ' ', '\x01', '\x0b', '\0', '"', '\\', ',', ':', '}', '{', ']', 'é', '\\.'), anyChar);
  const spoiled = fc.oneof(
    fc.tuple(object, fc.nat(), inserted).map(([text, at, char]) => spliced(text, at, char, 0)),
    fc.tuple(object, fc.nat()).map(([text, at]) => spliced(text, at, '', 1)),
    fc.tuple(object, fc.nat()).map(([text, at]) => text.slice(0, at % (text.length + 1))),
    value,
  );
  return fc.oneof(
    { weight: 3, arbitrary: object.map((text) => Buffer.from(text, 'utf8')) },
    { weight: 2, arbitrary: spoiled.map((text) => Buffer.from(text, 'utf8')) },
    {
      weight: 1,
      arbitrary: fc.tuple(object, fc.nat(), fc.constantFrom(...NOT_UTF8)).map(([text, at, bad]) => {
        const bytes = Buffer.from(text, 'utf8');
        const cut = at % (bytes.length + 1);
        return Buffer.concat([bytes.subarray(0, cut), Buffer.from(bad), bytes.subarray(cut)]);
      }),
    },
  );
}

/** `text` with `removed` UTF-16 units at `at` (modulo its length) replaced by `insert`. */
function spliced(text: string, at: number, insert: string, removed: number): string {
  const index = at % (text.length + 1);
  return text.slice(0, index) + insert + text.slice(index + removed);
}
