import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import { silentLogger } from '../../core/log';
import { generateWebActivity, QUARANTINE_REASONS, type WebActivityFile } from '../../examples/web-activity/generate';
import { lintModel } from '../../transform/lint-models';
import { buildModels } from '../../transform/build-models';
import { formatDataTestResults, runDataTests } from '../../transform/data-tests';
import { refreshMarts } from '../../transform/refresh-marts';
import { runTypeScript } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const EXAMPLE_DIR = resolve(__dirname, '../../examples/web-activity');
const MODELS_DIR = join(EXAMPLE_DIR, 'models');
const DATA_DIR = join(EXAMPLE_DIR, 'data');
const GENERATOR = join(EXAMPLE_DIR, 'generate.ts');

type JsonObject = { [key: string]: unknown };

const tmpDirs: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'web-activity-'));
  tmpDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const ndjsonFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.ndjson'))
    .sort();
const isJsonObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The instant of a timestamp in one of the generator's forms (Z, ±HH:MM, ±HHMM, a space for the T), else NaN. */
function instantOf(value: unknown): number {
  const match = typeof value === 'string' ? /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})$/.exec(value) : null;
  if (!match) return NaN;
  const offset = match[3] === 'Z' ? 'Z' : `${match[3]?.slice(0, 3)}:${match[3]?.slice(-2)}`;
  return Date.parse(`${match[1]}T${match[2]}${offset}`);
}

let loadCounter = 0;

/**
 * Writes JSON documents into raw.raw_events the way the loader stores an NDJSON file: each
 * object as it is, under one ledger row in raw.loads, line_no the 1-based line of the file
 * (`lineNos`, default 1, 2, 3, ...). Returns the load id.
 */
async function insertDocuments(pool: Pool, documents: JsonObject[], options: { uri?: string; lineNos?: number[] } = {}): Promise<string> {
  loadCounter += 1;
  const { rows } = await pool.query<{ load_id: string }>(
    "insert into raw.loads (source_uri, content_id, status, row_count, reject_count) values ($1, 'fixture', 'loaded', $2, 0) returning load_id",
    [options.uri ?? `test://web-activity/fixture-${loadCounter}.ndjson`, documents.length],
  );
  const loadId = rows[0]?.load_id as string;
  await pool.query(
    `insert into raw.raw_events (load_id, line_no, event)
     select $1, line_no, event from unnest($2::int[], $3::jsonb[]) as r (line_no, event)`,
    [loadId, options.lineNos ?? documents.map((_, index) => index + 1), documents.map((document) => JSON.stringify(document))],
  );
  return loadId;
}

/** A database with the example's models built once; `load` replaces the raw events and refreshes the mart. */
function useExampleDatabase(): { pool: () => Pool; load: (...files: JsonObject[][]) => Promise<void> } {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  });
  afterAll(async () => {
    await db?.drop();
  });
  const pool = (): Pool => {
    if (!db) throw new Error('the database is not ready (use it inside a test)');
    return db.pool;
  };
  return {
    pool,
    load: async (...files) => {
      await pool().query('truncate raw.raw_events, raw.loads');
      for (const documents of files) await insertDocuments(pool(), documents);
      await refreshMarts(pool(), { dir: MODELS_DIR, log: silentLogger });
    },
  };
}

/** A well-formed event, with `changes` applied (a key set to undefined is left out). */
function event(changes: JsonObject = {}): JsonObject {
  const document: JsonObject = {
    user_id: 'u1',
    session_id: 's1',
    timestamp: '2024-03-01T10:15:30Z',
    url: 'https://shop.example.com/products/shoes',
    action: 'view',
    ...changes,
  };
  for (const [key, value] of Object.entries(document)) if (value === undefined) delete document[key];
  return document;
}

// ---------------------------------------------------------------- the generator and the committed sample

describe('examples/web-activity/generate', () => {
  test('the same seed writes byte-identical files; another seed writes other bytes', () => {
    const a = generateWebActivity({ outDir: tmp(), seed: 7 });
    const b = generateWebActivity({ outDir: tmp(), seed: 7 });
    const c = generateWebActivity({ outDir: tmp(), seed: 8 });
    expect(a.map((file) => file.day)).toEqual(['2024-03-01', '2024-03-02', '2024-03-03']);
    expect(b.map((file) => sha256(file.path))).toEqual(a.map((file) => sha256(file.path)));
    expect(b.map(({ path: _path, ...stats }) => stats)).toEqual(a.map(({ path: _path, ...stats }) => stats));
    expect(c.map((file) => sha256(file.path))).not.toEqual(a.map((file) => sha256(file.path)));
  });

  test('the committed sample in examples/web-activity/data is the default output, byte for byte, from the function and from the command line', async () => {
    const fromFunction = tmp();
    generateWebActivity({ outDir: fromFunction });
    const fromCli = tmp();
    const run = await runTypeScript(GENERATOR, ['--out', fromCli]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(ndjsonFiles(DATA_DIR)).toEqual(['2024-03-01.ndjson', '2024-03-02.ndjson', '2024-03-03.ndjson']);
    expect(readdirSync(DATA_DIR).sort()).toEqual(ndjsonFiles(DATA_DIR));
    for (const dir of [fromFunction, fromCli]) {
      expect(ndjsonFiles(dir)).toEqual(ndjsonFiles(DATA_DIR));
      for (const name of ndjsonFiles(DATA_DIR)) expect(sha256(join(dir, name))).toBe(sha256(join(DATA_DIR, name)));
    }
  });

  test('a day file depends on its date and the seed only, not on how many days are generated', () => {
    const one = generateWebActivity({ outDir: tmp(), days: 1, startDate: '2024-03-02' });
    const three = generateWebActivity({ outDir: tmp(), days: 3 });
    expect(sha256(one[0]?.path as string)).toBe(sha256(three[1]?.path as string));
  });

  test('every sample file holds a few hundred events out of time order, late events of the day before, every malformed kind and one line that is not a JSON object', () => {
    const files = generateWebActivity({ outDir: tmp() });
    for (const file of files) {
      const lines = readFileSync(file.path, 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines).toHaveLength(file.lines);
      expect(file.events).toBeGreaterThanOrEqual(250);
      expect(file.events).toBeLessThanOrEqual(400);
      expect(file.lateEvents).toBeGreaterThan(0);
      expect(file.notObjects).toBe(1);
      expect(file.quarantined).toEqual({
        [QUARANTINE_REASONS.user]: 2,
        [QUARANTINE_REASONS.timestamp]: 2,
        [QUARANTINE_REASONS.url]: 2,
        [QUARANTINE_REASONS.action]: 2,
        [`${QUARANTINE_REASONS.user}; ${QUARANTINE_REASONS.action}`]: 1,
      });
      const parsed = lines.map((line): unknown => {
        try {
          return JSON.parse(line);
        } catch {
          return undefined;
        }
      });
      expect(parsed.filter((value) => !isJsonObject(value))).toHaveLength(1);
      const instants = parsed
        .filter(isJsonObject)
        .map((document) => instantOf(document.timestamp))
        .filter((ms) => !Number.isNaN(ms));
      expect(instants.some((ms, index) => index > 0 && ms < (instants[index - 1] as number))).toBe(true);
      expect(instants.some((ms) => new Date(ms).toISOString().slice(0, 10) < file.day)).toBe(true);
    }
    // across the three days, every variant of every malformed kind shows up
    const all = files.flatMap((file) => readFileSync(file.path, 'utf8').split('\n').filter(Boolean));
    for (const fragment of [
      '"user_id":null',
      '"user_id":""',
      '"timestamp":"yesterday"',
      '"timestamp":1709288130',
      '-02-30T',
      '"url":"not a url"',
      '"url":"https://"',
      '"url":"shop.example.com/cart"',
      '"action":"VIEW"',
      '"action":"hover"',
      '"action":"checkout"',
    ]) {
      expect(all.some((line) => line.includes(fragment))).toBe(true);
    }
    expect(all.some((line) => line.startsWith('{') && !line.includes('"session_id"') && line.includes('"user_id":"u_'))).toBe(true);
  });

  test('the command line refuses a missing --out and an unknown flag with exit code 2', async () => {
    const missing = await runTypeScript(GENERATOR, []);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--out <dir> is required/);
    const unknown = await runTypeScript(GENERATOR, ['--out', tmp(), '--gzip']);
    expect(unknown.code).toBe(2);
  });
});

describe('examples/web-activity/models', () => {
  test('every model and data test follows the house style (elt lint, transform/lint-models)', () => {
    for (const folder of ['staging', 'marts', 'tests']) {
      for (const file of readdirSync(join(MODELS_DIR, folder)).filter((name) => name.endsWith('.sql'))) {
        expect([`${folder}/${file}`, lintModel(readFileSync(join(MODELS_DIR, folder, file), 'utf8'), folder === 'tests' ? 'test' : 'model')]).toEqual(
          [`${folder}/${file}`, []],
        );
      }
    }
  });
});

// ---------------------------------------------------------------- the models, on hand-computed fixtures

describe('staging.stg_web_events', () => {
  const db = useExampleDatabase();
  const select = async (columns: string): Promise<Record<string, unknown>[]> =>
    (await db.pool().query(`select ${columns} from staging.stg_web_events order by line_no`)).rows;

  test('stg_web_events parses host and the first two path levels in SQL: query, fragment, port, user info, case of the host, trailing and doubled slashes, a root URL', async () => {
    const urls = [
      'https://shop.example.com/products/shoes?ref=x',
      'https://shop.example.com/',
      'https://shop.example.com',
      'https://shop.example.com?ref=x',
      'http://Shop.Example.COM:8080/Products/Shoes/p-1#reviews',
      'https://shop.example.com/cart',
      'https://shop.example.com//products//hats/',
      'https://shop.example.com/products/',
      'https://shop.example.com/search?q=a/b',
      'https://user:secret@shop.example.com/account/orders/42',
      'HTTPS://shop.example.com/blog/a%20b',
    ];
    await db.load(urls.map((url) => event({ url })));
    expect(await select('line_no, url, url_host, url_level_1, url_level_2')).toEqual([
      { line_no: 1, url: urls[0], url_host: 'shop.example.com', url_level_1: 'products', url_level_2: 'shoes' },
      { line_no: 2, url: urls[1], url_host: 'shop.example.com', url_level_1: null, url_level_2: null },
      { line_no: 3, url: urls[2], url_host: 'shop.example.com', url_level_1: null, url_level_2: null },
      { line_no: 4, url: urls[3], url_host: 'shop.example.com', url_level_1: null, url_level_2: null },
      { line_no: 5, url: urls[4], url_host: 'shop.example.com', url_level_1: 'Products', url_level_2: 'Shoes' },
      { line_no: 6, url: urls[5], url_host: 'shop.example.com', url_level_1: 'cart', url_level_2: null },
      { line_no: 7, url: urls[6], url_host: 'shop.example.com', url_level_1: 'products', url_level_2: 'hats' },
      { line_no: 8, url: urls[7], url_host: 'shop.example.com', url_level_1: 'products', url_level_2: null },
      { line_no: 9, url: urls[8], url_host: 'shop.example.com', url_level_1: 'search', url_level_2: null },
      { line_no: 10, url: urls[9], url_host: 'shop.example.com', url_level_1: 'account', url_level_2: 'orders' },
      { line_no: 11, url: urls[10], url_host: 'shop.example.com', url_level_1: 'blog', url_level_2: 'a%20b' },
    ]);
  });

  test('stg_web_events reads every accepted timestamp form (Z, ±HH:MM, ±HHMM, ±HH, space, fraction) as its instant, whatever the session time zone; session_id is optional', async () => {
    await db.load([
      event({ timestamp: '2024-03-01T10:15:30Z' }),
      event({ timestamp: '2024-03-01T12:15:30+02:00', user_id: 'u2', session_id: undefined }),
      event({ timestamp: '2024-03-01T05:15:30-0500', session_id: '', action: 'click' }),
      event({ timestamp: '2024-03-01 15:45:30.250+05:30', action: 'add_to_cart' }),
      event({ timestamp: '2024-03-01T11:15:30+01', action: 'purchase' }),
      event({ timestamp: '2024-02-29T23:15:30.5-11:00', session_id: 's2' }),
      event({ timestamp: '2024-03-01T10:15:30.123456789 +00:00', extra: { ignored: true } }),
    ]);
    const client = await db.pool().connect();
    try {
      await client.query("set time zone 'Asia/Kathmandu'");
      const { rows } = await client.query('select line_no, event_at, user_id, session_id, action from staging.stg_web_events order by line_no');
      expect(rows).toEqual([
        { line_no: 1, event_at: new Date('2024-03-01T10:15:30.000Z'), user_id: 'u1', session_id: 's1', action: 'view' },
        { line_no: 2, event_at: new Date('2024-03-01T10:15:30.000Z'), user_id: 'u2', session_id: null, action: 'view' },
        { line_no: 3, event_at: new Date('2024-03-01T10:15:30.000Z'), user_id: 'u1', session_id: null, action: 'click' },
        { line_no: 4, event_at: new Date('2024-03-01T10:15:30.250Z'), user_id: 'u1', session_id: 's1', action: 'add_to_cart' },
        { line_no: 5, event_at: new Date('2024-03-01T10:15:30.000Z'), user_id: 'u1', session_id: 's1', action: 'purchase' },
        { line_no: 6, event_at: new Date('2024-03-01T10:15:30.500Z'), user_id: 'u1', session_id: 's2', action: 'view' },
        { line_no: 7, event_at: new Date('2024-03-01T10:15:30.123Z'), user_id: 'u1', session_id: 's1', action: 'view' },
      ]);
      const { rows: micro } = await client.query<{ utc: string }>(
        "select to_char(event_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as utc from staging.stg_web_events where line_no = 7",
      );
      expect(micro).toEqual([{ utc: '2024-03-01 10:15:30.123457' }]);
    } finally {
      client.release(true);
    }
  });
});

describe('staging.stg_quarantined_events', () => {
  const db = useExampleDatabase();

  test('stg_quarantined_events keeps each malformed event once, with its raw document, source and every reason, and stg_web_events keeps only the well-formed one', async () => {
    const documents = [
      event(),
      event({ user_id: undefined }),
      event({ user_id: 42 }),
      event({ timestamp: undefined }),
      event({ timestamp: '2024-03-01T10:15:30' }),
      event({ timestamp: '2024-03-01' }),
      event({ timestamp: 'yesterday' }),
      event({ timestamp: '2024-02-30T10:15:30Z' }),
      event({ timestamp: '2024-03-01T24:00:00Z' }),
      event({ timestamp: 1709288130 }),
      event({ url: 'not a url' }),
      event({ url: 'ftp://shop.example.com/products' }),
      event({ url: undefined }),
      event({ url: 'https://shop example.com/cart' }),
      event({ url: '/products/shoes' }),
      event({ action: 'hover' }),
      event({ action: undefined }),
      event({ action: 'View' }),
      event({ user_id: '', url: 'https://', action: null }),
      {},
    ];
    await db.load(documents);
    const timestamp = QUARANTINE_REASONS.timestamp;
    const url = QUARANTINE_REASONS.url;
    const action = QUARANTINE_REASONS.action;
    const user = QUARANTINE_REASONS.user;
    const expected: [number, string][] = [
      [2, user],
      [3, user],
      [4, timestamp],
      [5, timestamp],
      [6, timestamp],
      [7, timestamp],
      [8, timestamp],
      [9, timestamp],
      [10, timestamp],
      [11, url],
      [12, url],
      [13, url],
      [14, url],
      [15, url],
      [16, action],
      [17, action],
      [18, action],
      [19, `${user}; ${url}; ${action}`],
      [20, `${user}; ${timestamp}; ${url}; ${action}`],
    ];
    const { rows } = await db.pool().query('select line_no, source_uri, reason, event from staging.stg_quarantined_events order by line_no');
    expect(rows).toEqual(
      expected.map(([lineNo, reason]) => ({
        line_no: lineNo,
        source_uri: expect.stringMatching(/^test:\/\/web-activity\/fixture-\d+\.ndjson$/),
        reason,
        event: documents[lineNo - 1],
      })),
    );
    expect((await db.pool().query('select line_no from staging.stg_web_events')).rows).toEqual([{ line_no: 1 }]);
  });
});

describe('marts.hourly_url_activity', () => {
  const db = useExampleDatabase();

  test('hourly_url_activity counts events and distinct users per UTC hour, first path level and action: an hour boundary, offsets, a late file, the root as "/", malformed events left out', async () => {
    const at = (timestamp: string, user: string, url: string, action = 'view'): JsonObject =>
      event({ timestamp, user_id: user, url: `https://shop.example.com${url}`, action });
    await db.load(
      [
        at('2024-03-01T11:00:00Z', 'u2', '/products/shoes'), // first instant of 11:00
        at('2024-03-01T10:59:59.999Z', 'u1', '/products/shoes'), // last instant of 10:00
        at('2024-03-01T10:05:00Z', 'u1', '/products/hats/p-1'),
        at('2024-03-01T10:30:00+01:00', 'u1', '/'), // 09:30 UTC
        at('2024-03-01T10:22:00Z', 'u1', '/products/shoes/p-2', 'click'),
        at('2024-03-01T10:20:00Z', 'u2', '/products/shoes', 'click'),
        at('2024-03-01T10:21:00Z', 'u1', '/products/shoes/p-2', 'click'),
        at('2024-03-01T10:10:00Z', 'u3', '/products/shoes', 'hover'), // quarantined
        event({ timestamp: '2024-03-01T10:11:00', user_id: 'u4' }), // quarantined: no offset
      ],
      [
        // a later file: an event of 10:00 arriving late, in another offset; then the 11:00 and 12:00 hours
        at('2024-03-01T12:00:00+00:00', 'u2', '/checkout/payment', 'purchase'),
        at('2024-03-01T06:45:00-04:00', 'u3', '/products/bags'), // 10:45 UTC
        at('2024-03-01 11:59:59+00', 'u2', '/cart'),
      ],
    );
    const { rows } = await db.pool().query('select * from marts.hourly_url_activity order by hour, url_level_1 collate "C", action collate "C"');
    expect(rows).toEqual([
      { hour: new Date('2024-03-01T09:00:00Z'), url_level_1: '/', action: 'view', activity_count: '1', unique_users: '1' },
      { hour: new Date('2024-03-01T10:00:00Z'), url_level_1: 'products', action: 'click', activity_count: '3', unique_users: '2' },
      { hour: new Date('2024-03-01T10:00:00Z'), url_level_1: 'products', action: 'view', activity_count: '3', unique_users: '2' },
      { hour: new Date('2024-03-01T11:00:00Z'), url_level_1: 'cart', action: 'view', activity_count: '1', unique_users: '1' },
      { hour: new Date('2024-03-01T11:00:00Z'), url_level_1: 'products', action: 'view', activity_count: '1', unique_users: '1' },
      { hour: new Date('2024-03-01T12:00:00Z'), url_level_1: 'checkout', action: 'purchase', activity_count: '1', unique_users: '1' },
    ]);
  });

  test('hourly_url_activity buckets by the UTC hour for an offset that is not whole hours (+05:30), even when refreshed in a session in Asia/Kolkata', async () => {
    await db.load([
      event({ timestamp: '2024-03-01T16:29:59+05:30', user_id: 'u1' }), // 10:59:59 UTC
      event({ timestamp: '2024-03-01T16:30:00+05:30', user_id: 'u2' }), // 11:00:00 UTC
    ]);
    const client = await db.pool().connect();
    try {
      await client.query("set time zone 'Asia/Kolkata'");
      await client.query('call elt.refresh_marts()');
      const { rows } = await client.query('select hour, activity_count from marts.hourly_url_activity order by hour');
      expect(rows).toEqual([
        { hour: new Date('2024-03-01T10:00:00Z'), activity_count: '1' },
        { hour: new Date('2024-03-01T11:00:00Z'), activity_count: '1' },
      ]);
    } finally {
      client.release(true);
    }
  });
});

// ---------------------------------------------------------------- the committed sample, end to end

describe('the committed sample', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
  });
  afterAll(async () => {
    await db.drop();
  });

  test('on the committed sample every data test of the example passes, and staging splits it into the events and quarantine reasons the generator wrote', async () => {
    // as the loader would: each file one load, each JSON-object line one document, the other lines rejected
    let notObjects = 0;
    for (const name of ndjsonFiles(DATA_DIR)) {
      const documents: JsonObject[] = [];
      const lineNos: number[] = [];
      readFileSync(join(DATA_DIR, name), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (line === '') return;
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch {
            parsed = undefined;
          }
          if (isJsonObject(parsed)) {
            documents.push(parsed);
            lineNos.push(index + 1);
          } else notObjects += 1;
        });
      await insertDocuments(db.pool, documents, { uri: `file://${join(DATA_DIR, name)}`, lineNos });
    }
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
    await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });

    const results = await runDataTests(db.pool, MODELS_DIR);
    expect(results.map((result) => result.test.name)).toEqual(
      expect.arrayContaining([
        'staging.stg_web_events.unique_key',
        'staging.stg_quarantined_events.not_null',
        'marts.hourly_url_activity.not_null',
        'hourly_url_activity_reconciles_with_staging',
        'hourly_url_activity_unique_users_within_count',
        'web_events_each_raw_event_staged_or_quarantined',
      ]),
    );
    expect(results.filter((result) => result.failures > 0)).toEqual([]);
    expect(formatDataTestResults(results)).toMatch(/^\d+ passed, 0 failed$/m);

    const files: WebActivityFile[] = generateWebActivity({ outDir: tmp() });
    const events = files.reduce((sum, file) => sum + file.events, 0);
    const reasons: Record<string, number> = {};
    for (const file of files) for (const [reason, count] of Object.entries(file.quarantined)) reasons[reason] = (reasons[reason] ?? 0) + count;
    expect(notObjects).toBe(files.reduce((sum, file) => sum + file.notObjects, 0));

    const count = async (sql: string): Promise<number> => Number((await db.pool.query<{ n: string }>(sql)).rows[0]?.n);
    expect(await count('select count(*) as n from staging.stg_web_events')).toBe(events);
    expect(await count('select sum(activity_count) as n from marts.hourly_url_activity')).toBe(events);
    const { rows } = await db.pool.query<{ reason: string; n: string }>(
      'select reason, count(*) as n from staging.stg_quarantined_events group by reason',
    );
    expect(Object.fromEntries(rows.map((row) => [row.reason, Number(row.n)]))).toEqual(reasons);
    // the mart spans the late events of the day before the first file, and every action
    const { rows: span } = await db.pool.query<{ first_hour: Date; actions: string[] }>(
      'select min(hour) as first_hour, array_agg(distinct action order by action) as actions from marts.hourly_url_activity',
    );
    expect(span[0]?.first_hour.getTime()).toBeLessThan(Date.parse('2024-03-01T00:00:00Z'));
    expect(span[0]?.actions).toEqual(['add_to_cart', 'click', 'purchase', 'view']);
  });
});
