import { jsonObjectProblem } from '../../loader/formats/json-document';
import { MAX_DEPTH, scanJsonObject as scanBytes } from '../../loader/formats/json-scan';
import { createTestDatabase } from '../helpers/test-database';
import { rowVerdict } from '../reference/metrics-reference';

const scanJsonObject = (text: string) => scanBytes(Buffer.from(text, 'utf8'));

// The reference reads the contract's rules from its prose, with JSON.parse: the scanner must give every text its verdict and rule.
const TS = '2019-02-15 03:07:03.662 +0000';
const verdictOf = (attributes: string) => rowVerdict(`${TS}\ts\te\tu\t${attributes}`);

const RULE: Record<string, string> = {
  invalid: 'attributes',
  'too-deep': 'attributes',
  'not-object': 'attributes',
  'nul-escape': 'storable',
  'lone-surrogate': 'storable',
  'long-number': 'storable',
};
function scannerVerdict(attributes: string) {
  const scan = scanJsonObject(attributes);
  return scan === undefined ? { verdict: 'accepted' } : { verdict: 'rejected', rule: RULE[scan.problem] };
}

/** A seeded PRNG (mulberry32): the same texts on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = {
  numbers: [
    '0',
    '-0',
    '12',
    '-3.25',
    '1e5',
    '1E+2',
    '2.5e-3',
    '0.000',
    '1e999',
    '1e1000',
    '0e1001',
    '0e-1000',
    '-0.5e-999',
    '-0.5e-1000',
    '100e998',
    '0.01e1002',
    '1e99999999999',
  ],
  strings: [
    '""',
    '"a"',
    '"é 😀"',
    '"\\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t"',
    '"\\u00e9"',
    '"\\ud83d\\ude00"',
    '"\\ud83d"',
    '"\\ude00"',
    '"\\ud83d x"',
    '"\\u0000"',
    '"\\\\u0000"',
    '"1e5000"',
    '"\\uDBFF\\uDFFF"',
  ],
  space: ['', ' ', '  '],
};
// what a mutation puts in or takes out: the characters JSON's grammar turns on
const MUTATIONS = ['{', '}', '[', ']', ',', ':', '"', '\\', '-', '+', '.', 'e', '0', '1', 'u', 'x', ' ', 't', 'n', '\u0001', 'é'];

function generate(next: () => number, depth: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const space = () => pick(PIECES.space);
  const roll = next();
  if (depth > 3 || roll < 0.35) return pick([...PIECES.numbers, ...PIECES.strings, 'true', 'false', 'null']);
  const count = Math.floor(next() * 4);
  const items = Array.from({ length: count }, () => generate(next, depth + 1));
  if (roll < 0.6) return `[${space()}${items.join(`${space()},${space()}`)}${space()}]`;
  return `{${space()}${items.map((item) => `${pick(PIECES.strings)}${space()}:${space()}${item}`).join(`${space()},${space()}`)}${space()}}`;
}

function mutate(next: () => number, text: string): string {
  const at = Math.floor(next() * (text.length + 1));
  const piece = MUTATIONS[Math.floor(next() * MUTATIONS.length)] as string;
  const roll = next();
  if (roll < 0.33) return text.slice(0, at) + text.slice(at + 1);
  if (roll < 0.66) return text.slice(0, at) + piece + text.slice(at);
  return text.slice(0, at) + piece + text.slice(at + 1);
}

test('the scanner gives 20,000 generated and mutated texts the verdict and rule the reference (JSON.parse and the contract) gives', () => {
  const next = random(7);
  const texts: string[] = [];
  for (let i = 0; i < 10_000; i += 1) {
    const text = generate(next, 0);
    texts.push(text, mutate(next, next() < 0.5 ? `{"a":${text}}` : text));
  }
  // a line's text is valid UTF-8, so never a lone raw surrogate (a mutation may split the pair of an emoji)
  texts.splice(0, texts.length, ...texts.filter((text) => text.isWellFormed()));
  const disagreements = texts.filter((text) => JSON.stringify(scannerVerdict(text)) !== JSON.stringify(verdictOf(text)));
  expect(disagreements).toEqual([]);
  // the corpus reaches every rule
  const seen = new Set(texts.map((text) => scanJsonObject(text)?.problem ?? 'accepted'));
  expect([...seen].sort()).toEqual(['accepted', 'invalid', 'lone-surrogate', 'long-number', 'not-object', 'nul-escape']);
});

test('JSON whitespace (space, tab, LF, CR) is accepted anywhere between tokens; other control characters are not', () => {
  expect(scanJsonObject('\t{\n"a"\r:\t[ 1 ,\n2 ]\r}\n')).toBeUndefined();
  expect(scanJsonObject('{"a":\u000b1}')).toMatchObject({ problem: 'invalid' });
  expect(scanJsonObject('{"a\u0001":1}')).toMatchObject({ problem: 'invalid' });
});

test(`arrays and objects nest ${MAX_DEPTH} deep at most, and a deeper text is refused in memory that does not grow with it`, () => {
  const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
  expect(scanJsonObject(nested(MAX_DEPTH))).toBeUndefined();
  expect(verdictOf(nested(MAX_DEPTH))).toEqual({ verdict: 'accepted' });
  expect(scanJsonObject(nested(MAX_DEPTH + 1))).toEqual({ problem: 'too-deep', at: MAX_DEPTH + 4 });
  expect(verdictOf(nested(MAX_DEPTH + 1))).toEqual({ verdict: 'rejected', rule: 'attributes' });
  // 8 million levels: refused at the 1001st, never read further
  const started = performance.now();
  expect(scanJsonObject(`{"a":${'['.repeat(8_000_000)}`)).toMatchObject({ problem: 'too-deep' });
  expect(performance.now() - started).toBeLessThan(1000);
});

test(`Postgres stores what the scanner accepts at its bounds: ${MAX_DEPTH} levels, 1000-digit numbers, a paired surrogate escape`, async () => {
  const db = await createTestDatabase();
  try {
    const texts = [
      `{"a":${'['.repeat(MAX_DEPTH - 1)}${']'.repeat(MAX_DEPTH - 1)}}`,
      '{"n": 1e999, "m": -0.5e-999, "z": 0e1000}',
      '{"e": "\\ud83d\\ude00"}',
    ];
    for (const text of texts) expect(scanJsonObject(text)).toBeUndefined();
    const { rows } = await db.pool.query<{ ok: boolean }>('select t::jsonb is not null as ok from unnest($1::text[]) as t', [texts]);
    expect(rows).toEqual(texts.map(() => ({ ok: true })));
  } finally {
    await db.drop();
  }
});

test.each([
  ['{"a": 1', /^ATTRIBUTES is not valid JSON \(it ends too soon\)$/],
  ['{"a": 01}', /^ATTRIBUTES is not valid JSON \(unexpected "1" at byte 7\)$/],
  ['{"a": [1,]}', /^ATTRIBUTES is not valid JSON \(unexpected "]" at byte 9\)$/],
  ['[1, 2]', /^ATTRIBUTES is JSON but not an object \(array\)$/],
  ['{"n": 1e200000}', /^ATTRIBUTES has the number "1e200000", over 1000 digits written out or an exponent beyond ±1000$/],
  ['{"n": 0.1e-1000}', /^ATTRIBUTES has the number "0.1e-1000"/],
  [`{"a":${'['.repeat(2000)}`, /^ATTRIBUTES nests arrays and objects more than 1000 deep \(at byte 1004\)$/],
])('the reason for %s says what is wrong and where', (text, reason) => {
  expect(jsonObjectProblem(text, 'ATTRIBUTES')).toMatch(reason);
});
