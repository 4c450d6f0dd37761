import { compareText, DEFAULT_SETTINGS, referenceMarts, type ReferenceSettings } from '../reference/metrics-reference';
import { randomLake } from '../reference/random-lake-rows';
import { useModelDatabase } from './model-test-kit';

/**
 * The SQL marts against tests/reference/metrics-reference.ts (an independent
 * reading of docs/contract.md, whose rules it parses from that file) on seeded random
 * lakes: counts must be equal, ctr and avg_session_length_seconds equal within
 * 1e-9 relative (NULL exactly where the reference has null).
 */
const models = useModelDatabase();

type Row = Record<string, unknown>;

const MARTS = [
  { name: 'article_performance', key: ['article_id', 'date'], counts: ['card_views', 'article_views', 'cumulative_article_views'], ratios: ['ctr'] },
  {
    name: 'user_performance',
    key: ['user_id', 'date'],
    counts: ['sessions', 'card_views', 'article_views'],
    ratios: ['avg_session_length_seconds', 'ctr'],
  },
  { name: 'category_ctr_daily', key: ['category', 'date'], counts: ['card_views', 'article_views'], ratios: ['ctr'] },
] as const;

function byKey(key: readonly string[]): (a: Row, b: Row) => number {
  return (a, b) => {
    for (const column of key) {
      const order = compareText(String(a[column]), String(b[column]));
      if (order !== 0) return order;
    }
    return 0;
  };
}

function close(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 * Math.max(Math.abs(actual), Math.abs(expected));
}

/**
 * The SQL rows as the reference writes them: counts as numbers (bigint strings
 * parsed exactly), ratios as numbers, replaced by the reference's value when
 * within tolerance, so that a mismatch shows as one readable diff.
 */
function comparable(sqlRows: Row[], expected: Row[], mart: (typeof MARTS)[number]): Row[] {
  const sorted = [...sqlRows].sort(byKey(mart.key));
  return sorted.map((row, index) => {
    const result: Row = { ...row };
    for (const column of mart.counts) {
      const value = row[column];
      result[column] = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    }
    const reference = expected[index];
    const sameKey = reference !== undefined && mart.key.every((column) => reference[column] === row[column]);
    for (const column of mart.ratios) {
      const value = row[column];
      if (value === null) continue;
      const parsed = Number(value);
      const wanted = sameKey ? reference[column] : undefined;
      result[column] = typeof wanted === 'number' && close(parsed, wanted) ? wanted : parsed;
    }
    return result;
  });
}

/**
 * Without `settings`, the database is reset to UTC and 30 minutes (model-test-kit) and the
 * reference takes the contract's defaults (contract.test.ts: a fresh database's are the same).
 */
async function expectMartsToMatchReference(seed: number, settings?: ReferenceSettings): Promise<void> {
  const lake = randomLake(seed, { sessionGapMinutes: (settings ?? DEFAULT_SETTINGS).sessionGapMinutes });
  await models.loadFiles(lake.files, settings ? { timeZone: settings.timeZone, sessionGapMinutes: settings.sessionGapMinutes } : {});
  const expected = referenceMarts(lake.rows, settings);
  for (const mart of MARTS) {
    const sqlRows = await models.select(`marts.${mart.name}`, mart.key.join(', '));
    const wanted = expected[mart.name] as unknown as Row[];
    // the fixture is big enough to mean something
    expect(wanted.length).toBeGreaterThan(10);
    expect({ mart: mart.name, rows: comparable(sqlRows, wanted, mart) }).toEqual({ mart: mart.name, rows: wanted });
  }
}

test.each([1, 2, 3])(
  "the three marts equal the reference implementation of docs/contract.md on random lake %i (the contract's default time zone and session gap)",
  async (seed) => {
    await expectMartsToMatchReference(seed);
  },
);

test('the three marts equal the reference implementation with Europe/Berlin days and a 10 min session gap (random lake 4)', async () => {
  await expectMartsToMatchReference(4, { timeZone: 'Europe/Berlin', sessionGapMinutes: 10 });
});

test('the three marts equal the reference implementation with America/St_Johns days (UTC-03:30) and a 45 min session gap (random lake 5)', async () => {
  await expectMartsToMatchReference(5, { timeZone: 'America/St_Johns', sessionGapMinutes: 45 });
});

test.each([1, 2, 3])('random lake %i exercises the cases the spec singles out', (seed) => {
  const lake = randomLake(seed);
  const marts = referenceMarts(lake.rows);
  expect(lake.rows.length).toBeGreaterThan(300);
  expect(lake.files.length).toBeGreaterThan(4);
  expect(lake.rows.some((row) => row.user === '')).toBe(true);
  expect(lake.rows.some((row) => / \+0130$/.test(row.ts))).toBe(true);
  expect(lake.rows.some((row) => row.attributes.id === 42 || row.attributes.id === '')).toBe(true);
  // days with events but no session start, and days with several sessions
  expect(marts.user_performance.some((row) => row.sessions === 0 && row.avg_session_length_seconds === null)).toBe(true);
  expect(marts.user_performance.some((row) => row.sessions > 1)).toBe(true);
  // clicks without displays, and more clicks than displays
  expect(marts.article_performance.some((row) => row.ctr === null)).toBe(true);
  expect(marts.article_performance.some((row) => row.ctr !== null && row.ctr > 1)).toBe(true);
  expect(marts.category_ctr_daily.some((row) => row.ctr === null)).toBe(true);
  // article days with no title, and days after the first (cumulative views carried over)
  expect(marts.article_performance.some((row) => row.title === null)).toBe(true);
  expect(marts.article_performance.some((row) => row.cumulative_article_views > row.article_views)).toBe(true);
});
