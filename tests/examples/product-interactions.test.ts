import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../core/log';
import { generateProductInteractions, HEADER, type GeneratedSample } from '../../examples/product-interactions/generate';
import { lintModel } from '../../transform/lint-models';
import { buildModels } from '../../transform/build-models';
import { runDataTests } from '../../transform/data-tests';
import { refreshMarts } from '../../transform/refresh-marts';
import { applySettings, type ModelSettings } from '../../transform/settings';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples', 'product-interactions');
const MODELS = path.join(EXAMPLE, 'models');
const DATA = path.join(EXAMPLE, 'data');
const ANALYSES = path.join(EXAMPLE, 'analyses');

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'product-interactions-'));
const csvFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.csv'))
    .sort();

// ---------------------------------------------------------------- fixtures as the CSV loader stores them

/** One CSV record as the loader stores it: an object keyed by the header, every value a string. */
type CsvDocument = Record<string, string>;

/** A record of the example's five columns. */
const record = (interactionId: string, userId: string, productId: string, action: string, timestamp: string): CsvDocument => ({
  interaction_id: interactionId,
  user_id: userId,
  product_id: productId,
  action,
  timestamp,
});

/** A file's records as documents with the line each starts on (the header is line 1). */
interface CsvFile {
  uri: string;
  records: Array<{ lineNo: number; document: CsvDocument }>;
}

/** Documents one per line after the header, as a fixture file. */
const fixtureFile = (documents: CsvDocument[]): Omit<CsvFile, 'uri'> => ({
  records: documents.map((document, index) => ({ lineNo: index + 2, document })),
});

/**
 * RFC 4180 records of a CSV text, each with the physical line it starts on (quoted
 * fields may hold commas, doubled quotes and line breaks; blank lines are skipped).
 * Independent of the loader, so the sample test does not depend on it.
 */
function parseCsv(text: string): Array<{ lineNo: number; fields: string[] }> {
  const records: Array<{ lineNo: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ lineNo: start, fields });
    fields = [];
    field = '';
  };
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else {
        if (char === '\n') line += 1;
        field += char;
      }
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '\n') {
      if (field.endsWith('\r')) field = field.slice(0, -1);
      endRecord();
      line += 1;
      start = line;
    } else field += char;
  }
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

/** A sample file as the loader would store it: records with the wrong number of fields are rejected. */
function sampleFile(file: string): CsvFile {
  const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'));
  const names = header?.fields ?? [];
  return {
    uri: `file://${file}`,
    records: rows
      .filter((row) => row.fields.length === names.length)
      .map((row) => ({ lineNo: row.lineNo, document: Object.fromEntries(names.map((name, index) => [name, row.fields[index] as string])) })),
  };
}

// ---------------------------------------------------------------- one database for the file, the example's models built once

let db: TestDatabase | undefined;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  await buildModels(db.pool, { dir: MODELS, log: silentLogger });
});

afterAll(async () => {
  await db?.drop();
});

function pool(): TestDatabase['pool'] {
  if (!db) throw new Error('the database is not ready');
  return db.pool;
}

/** Writes one file's documents into raw.loads + raw.raw_events, as the loader does; returns its load_id. */
async function insertLoad(file: CsvFile): Promise<string> {
  const { rows } = await pool().query<{ load_id: string }>(
    "insert into raw.loads (source_uri, content_id, status, row_count, reject_count) values ($1, 'fixture', 'loaded', $2, 0) returning load_id",
    [file.uri, file.records.length],
  );
  const loadId = rows[0]?.load_id as string;
  await pool().query(
    `insert into raw.raw_events (load_id, line_no, event)
     select $1, line_no, event from unnest($2::int[], $3::jsonb[]) as r (line_no, event)`,
    [loadId, file.records.map((row) => row.lineNo), file.records.map((row) => JSON.stringify(row.document))],
  );
  return loadId;
}

/** Replaces the raw data with `files` (loaded in this order: later files get greater load ids) and refreshes the models. */
async function loadFiles(files: Array<Omit<CsvFile, 'uri'> & { uri?: string }>, settings: ModelSettings = {}): Promise<string[]> {
  await pool().query('truncate raw.raw_events, raw.loads');
  await pool().query("update elt.settings set reporting_time_zone = 'UTC'");
  await applySettings(pool(), settings);
  const loadIds: string[] = [];
  for (const [index, file] of files.entries()) {
    loadIds.push(await insertLoad({ uri: file.uri ?? `test://product-interactions/file-${index}.csv`, records: file.records }));
  }
  await refreshMarts(pool(), { dir: MODELS, log: silentLogger });
  return loadIds;
}

async function query<T extends Record<string, unknown>>(sql: string): Promise<T[]> {
  const { rows } = await pool().query<T>(sql);
  return rows;
}

const analysis = (name: string): string => fs.readFileSync(path.join(ANALYSES, `${name}.sql`), 'utf8');
const at = (iso: string): Date => new Date(iso);

// ---------------------------------------------------------------- the generator and its committed sample

describe('generator', () => {
  test('generateProductInteractions with the defaults writes the committed data/ byte for byte', () => {
    const out = tmp();
    generateProductInteractions({ outDir: out });
    expect(csvFiles(out)).toEqual(csvFiles(DATA));
    for (const name of csvFiles(DATA)) {
      expect(fs.readFileSync(path.join(out, name)).equals(fs.readFileSync(path.join(DATA, name)))).toBe(true);
    }
  });

  test('the same options give the same bytes, another seed other bytes; months and rowsPerFile set the files', () => {
    const first = tmp();
    const second = tmp();
    const reseeded = tmp();
    const options = { months: 2, rowsPerFile: 60, seed: 11 };
    generateProductInteractions({ outDir: first, ...options });
    generateProductInteractions({ outDir: second, ...options });
    generateProductInteractions({ outDir: reseeded, ...options, seed: 12 });
    expect(csvFiles(first)).toEqual(['2024-03-16.csv', '2024-04-01.csv', '2024-04-16.csv', '2024-05-01.csv']);
    for (const name of csvFiles(first)) {
      const bytes = fs.readFileSync(path.join(first, name));
      expect(bytes.equals(fs.readFileSync(path.join(second, name)))).toBe(true);
      expect(bytes.equals(fs.readFileSync(path.join(reseeded, name)))).toBe(false);
      expect(bytes.toString('utf8').split('\n')).toHaveLength(1 + 60 + 1); // header, records, final newline
    }
  });

  test('the sample holds re-sent interactions, quoted product ids, two malformed records and one invalid timestamp', () => {
    const sample = generateProductInteractions({ outDir: tmp() });
    expect(sample.files.map((file) => path.basename(file.path))).toEqual(csvFiles(DATA));
    expect(sample.files.map((file) => file.records)).toEqual([300, 300, 300, 300, 300, 300]);
    expect(sample.files[0]?.resent).toBe(0);
    expect(sample.files.slice(1).every((file) => file.resent > 0)).toBe(true);
    expect(sample.files.map((file) => file.malformed)).toEqual([0, 1, 1, 0, 0, 0]);
    expect(sample.files.map((file) => file.invalidTimestamps)).toEqual([0, 0, 0, 1, 0, 0]);
    const text = csvFiles(DATA)
      .map((name) => fs.readFileSync(path.join(DATA, name), 'utf8'))
      .join('');
    expect(text.startsWith(`${HEADER}\n`)).toBe(true);
    expect(text).toContain(',"SKU 12,RED",');
    expect(text).toContain(',"Mug ""XL""",');
    const fieldCounts = csvFiles(DATA).flatMap((name) => parseCsv(fs.readFileSync(path.join(DATA, name), 'utf8')).map((row) => row.fields.length));
    expect(fieldCounts.filter((count) => count !== 5).sort()).toEqual([4, 6]);
    expect(text).toMatch(/T25:10:00\+02:00\n/);
    // early on April 1st in UTC, written in -05:00 as the evening of March 31st
    expect(text).toContain(',p-001,view,2024-03-31T20:30:00-05:00\n');
  });

  test('npx tsx generate.ts --out <dir> writes the same files as the function', () => {
    const out = tmp();
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    execFileSync(tsx, [path.join(EXAMPLE, 'generate.ts'), '--out', out, '--months', '1', '--rows-per-file', '40'], { cwd: ROOT, stdio: 'pipe' });
    const direct = tmp();
    generateProductInteractions({ outDir: direct, months: 1, rowsPerFile: 40 });
    expect(csvFiles(out)).toEqual(['2024-03-16.csv', '2024-04-01.csv']);
    for (const name of csvFiles(out)) {
      expect(fs.readFileSync(path.join(out, name)).equals(fs.readFileSync(path.join(direct, name)))).toBe(true);
    }
  });

  test('the example models and data tests follow the house style (lint-models)', () => {
    const files = ['staging', 'intermediate', 'marts', 'tests'].flatMap((folder) =>
      fs.readdirSync(path.join(MODELS, folder)).map((name) => path.join(MODELS, folder, name)),
    );
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files) {
      const kind = path.basename(path.dirname(file)) === 'tests' ? 'test' : 'model';
      expect({ file: path.relative(EXAMPLE, file), problems: lintModel(fs.readFileSync(file, 'utf8'), kind) }).toEqual({
        file: path.relative(EXAMPLE, file),
        problems: [],
      });
    }
  });
});

// ---------------------------------------------------------------- models, on hand-computed fixtures

describe('models', () => {
  test('int_interactions dedupes on interaction_id: the latest load wins (even with an earlier timestamp), then the last line of a file; an invalid re-send does not erase a valid copy', async () => {
    const [first, second, third] = await loadFiles([
      fixtureFile([
        record('ix-1', 'u1', 'p1', 'view', '2024-03-01T10:00:00Z'),
        record('ix-2', 'u1', 'p1', 'add_to_cart', '2024-03-01T10:05:00Z'),
        record('ix-4', 'u2', 'p2', 'view', '2024-03-02T09:00:00Z'),
      ]),
      fixtureFile([
        // ix-1 re-sent corrected: another action, an earlier time; the later file wins anyway
        record('ix-1', 'u1', 'p1', 'purchase', '2024-03-01T09:59:00Z'),
        // ix-2 re-sent unchanged
        record('ix-2', 'u1', 'p1', 'add_to_cart', '2024-03-01T10:05:00Z'),
        // ix-3 twice in one file: the later line wins
        record('ix-3', 'u2', 'p2', 'view', '2024-03-02T08:00:00Z'),
        record('ix-3', 'u2', 'p3', 'view', '2024-03-02T08:00:00Z'),
      ]),
      fixtureFile([
        // ix-4 re-sent broken: not a valid time, so the copy of the first file stays
        record('ix-4', 'u2', 'p2', 'purchase', '2024-03-32T09:00:00Z'),
      ]),
    ]);
    expect(
      await query(
        'select interaction_id, user_id, product_id, action, occurred_at, load_id, line_no, deliveries from intermediate.int_interactions order by interaction_id',
      ),
    ).toEqual([
      {
        interaction_id: 'ix-1',
        user_id: 'u1',
        product_id: 'p1',
        action: 'purchase',
        occurred_at: at('2024-03-01T09:59:00Z'),
        load_id: second,
        line_no: 2,
        deliveries: '2',
      },
      {
        interaction_id: 'ix-2',
        user_id: 'u1',
        product_id: 'p1',
        action: 'add_to_cart',
        occurred_at: at('2024-03-01T10:05:00Z'),
        load_id: second,
        line_no: 3,
        deliveries: '2',
      },
      {
        interaction_id: 'ix-3',
        user_id: 'u2',
        product_id: 'p3',
        action: 'view',
        occurred_at: at('2024-03-02T08:00:00Z'),
        load_id: second,
        line_no: 5,
        deliveries: '2',
      },
      {
        interaction_id: 'ix-4',
        user_id: 'u2',
        product_id: 'p2',
        action: 'view',
        occurred_at: at('2024-03-02T09:00:00Z'),
        load_id: first,
        line_no: 4,
        deliveries: '1',
      },
    ]);
    expect(third).toBeDefined();
    // the marts see each interaction once
    expect(await query('select count(*)::int as n from marts.user_activity_ranked')).toEqual([{ n: 4 }]);
    expect(await query('select sum(interactions)::int as n, sum(purchases)::int as purchases from marts.product_monthly_summary')).toEqual([
      { n: 4, purchases: 1 },
    ]);
  });

  test('stg_interactions parses only ISO 8601 timestamps with an offset that Postgres accepts; invalid records get a reason and stay out of int_interactions', async () => {
    await loadFiles([
      fixtureFile([
        record('ok-z', 'u1', 'p1', 'view', '2024-03-01T10:00:00Z'),
        record('ok-space-hhmm', 'u1', 'p1', 'view', '2024-03-01 10:00:00+0130'),
        record('ok-micro', 'u1', 'p1', 'view', '2024-03-01T10:00:00.123456+05:30'),
        record('ok-hh', 'u1', 'p1', 'View', ' 2024-03-01T10:00:00-03 '),
        record('bad-feb-30', 'u1', 'p1', 'view', '2024-02-30T10:00:00Z'),
        record('bad-hour-25', 'u1', 'p1', 'view', '2024-03-01T25:10:00+02:00'),
        record('bad-no-offset', 'u1', 'p1', 'view', '2024-03-01T10:00:00'),
        record('bad-now', 'u1', 'p1', 'view', 'now'),
        record('bad-empty', 'u1', 'p1', 'view', ''),
        record('bad-user', '', 'p1', 'view', '2024-03-01T10:00:00Z'),
        record('bad-action', 'u1', 'p1', 'wishlist', '2024-03-01T10:00:00Z'),
        { interaction_id: 'bad-no-product', user_id: 'u1', action: 'view', timestamp: '2024-03-01T10:00:00Z' },
      ]),
    ]);
    expect(
      await query(`select interaction_id, action, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as occurred_utc, is_valid, invalid_reason
                     from staging.stg_interactions order by line_no`),
    ).toEqual([
      { interaction_id: 'ok-z', action: 'view', occurred_utc: '2024-03-01T10:00:00.000000', is_valid: true, invalid_reason: null },
      { interaction_id: 'ok-space-hhmm', action: 'view', occurred_utc: '2024-03-01T08:30:00.000000', is_valid: true, invalid_reason: null },
      { interaction_id: 'ok-micro', action: 'view', occurred_utc: '2024-03-01T04:30:00.123456', is_valid: true, invalid_reason: null },
      { interaction_id: 'ok-hh', action: 'view', occurred_utc: '2024-03-01T13:00:00.000000', is_valid: true, invalid_reason: null },
      { interaction_id: 'bad-feb-30', action: 'view', occurred_utc: null, is_valid: false, invalid_reason: 'invalid timestamp' },
      { interaction_id: 'bad-hour-25', action: 'view', occurred_utc: null, is_valid: false, invalid_reason: 'invalid timestamp' },
      { interaction_id: 'bad-no-offset', action: 'view', occurred_utc: null, is_valid: false, invalid_reason: 'invalid timestamp' },
      { interaction_id: 'bad-now', action: 'view', occurred_utc: null, is_valid: false, invalid_reason: 'invalid timestamp' },
      { interaction_id: 'bad-empty', action: 'view', occurred_utc: null, is_valid: false, invalid_reason: 'missing timestamp' },
      { interaction_id: 'bad-user', action: 'view', occurred_utc: '2024-03-01T10:00:00.000000', is_valid: false, invalid_reason: 'missing user_id' },
      {
        interaction_id: 'bad-action',
        action: 'wishlist',
        occurred_utc: '2024-03-01T10:00:00.000000',
        is_valid: false,
        invalid_reason: 'unknown action',
      },
      {
        interaction_id: 'bad-no-product',
        action: 'view',
        occurred_utc: '2024-03-01T10:00:00.000000',
        is_valid: false,
        invalid_reason: 'missing product_id',
      },
    ]);
    expect(await query('select interaction_id from intermediate.int_interactions order by interaction_id')).toEqual([
      { interaction_id: 'ok-hh' },
      { interaction_id: 'ok-micro' },
      { interaction_id: 'ok-space-hhmm' },
      { interaction_id: 'ok-z' },
    ]);
  });

  test('user_activity_ranked ranks each user latest first; at the same instant (any offset) ties go to interaction_id in byte order', async () => {
    await loadFiles([
      fixtureFile([
        record('ix-2', 'u1', 'p1', 'view', '2024-03-01T11:00:00Z'),
        // four interactions at 12:00 UTC, written in three offsets; byte order: ix-10 < ix-9 < ix-B < ix-a
        record('ix-9', 'u1', 'p1', 'add_to_cart', '2024-03-01T13:00:00+01:00'),
        record('ix-a', 'u1', 'p2', 'view', '2024-03-01T12:00:00Z'),
        record('ix-10', 'u1', 'p1', 'purchase', '2024-03-01T07:00:00-05:00'),
        record('ix-B', 'u1', 'p3', 'view', '2024-03-01T12:00:00+00:00'),
        record('ix-1', 'u1', 'p1', 'review', '2024-03-02T08:00:00Z'),
        record('ix-5', 'u2', 'p1', 'view', '2024-03-01T09:00:00Z'),
        record('ix-6', 'u2', 'p1', 'view', '2024-03-01T08:00:00Z'),
      ]),
      // a re-sent interaction is ranked once
      fixtureFile([record('ix-5', 'u2', 'p1', 'view', '2024-03-01T09:00:00Z')]),
    ]);
    expect(
      await query(
        'select user_id, activity_rank, interaction_id, product_id, action, occurred_at from marts.user_activity_ranked order by user_id, activity_rank',
      ),
    ).toEqual([
      { user_id: 'u1', activity_rank: '1', interaction_id: 'ix-1', product_id: 'p1', action: 'review', occurred_at: at('2024-03-02T08:00:00Z') },
      { user_id: 'u1', activity_rank: '2', interaction_id: 'ix-10', product_id: 'p1', action: 'purchase', occurred_at: at('2024-03-01T12:00:00Z') },
      { user_id: 'u1', activity_rank: '3', interaction_id: 'ix-9', product_id: 'p1', action: 'add_to_cart', occurred_at: at('2024-03-01T12:00:00Z') },
      { user_id: 'u1', activity_rank: '4', interaction_id: 'ix-B', product_id: 'p3', action: 'view', occurred_at: at('2024-03-01T12:00:00Z') },
      { user_id: 'u1', activity_rank: '5', interaction_id: 'ix-a', product_id: 'p2', action: 'view', occurred_at: at('2024-03-01T12:00:00Z') },
      { user_id: 'u1', activity_rank: '6', interaction_id: 'ix-2', product_id: 'p1', action: 'view', occurred_at: at('2024-03-01T11:00:00Z') },
      { user_id: 'u2', activity_rank: '1', interaction_id: 'ix-5', product_id: 'p1', action: 'view', occurred_at: at('2024-03-01T09:00:00Z') },
      { user_id: 'u2', activity_rank: '2', interaction_id: 'ix-6', product_id: 'p1', action: 'view', occurred_at: at('2024-03-01T08:00:00Z') },
    ]);
  });

  const boundaryFixture = (): Array<Omit<CsvFile, 'uri'>> => [
    fixtureFile([
      // March in every offset
      record('ix-1', 'u1', 'p1', 'view', '2024-03-31T23:59:59Z'),
      // reads as April 1st, is 22:30 UTC on March 31st
      record('ix-2', 'u2', 'p1', 'purchase', '2024-04-01T00:30:00+02:00'),
      // reads as March 31st, is 02:30 UTC on April 1st
      record('ix-3', 'u1', 'p1', 'add_to_cart', '2024-03-31T21:30:00-05:00'),
      record('ix-4', 'u1', 'p1', 'purchase', '2024-04-01T00:00:00Z'),
      record('ix-5', 'u3', 'p2', 'review', '2024-04-15T12:00:00Z'),
      record('ix-6', 'u1', 'p1', 'view', '2024-03-01T00:00:00Z'),
    ]),
    // ix-4 re-sent: counted once
    fixtureFile([record('ix-4', 'u1', 'p1', 'purchase', '2024-04-01T00:00:00Z')]),
  ];

  test('product_monthly_summary counts an interaction in the UTC month of its instant, once: 2024-03-31T21:30-05:00 is April, 2024-04-01T00:30+02:00 is March', async () => {
    await loadFiles(boundaryFixture());
    expect(await query('select * from marts.product_monthly_summary order by product_id, month')).toEqual([
      { product_id: 'p1', month: '2024-03-01', interactions: '3', distinct_users: '2', views: '2', add_to_carts: '0', purchases: '1', reviews: '0' },
      { product_id: 'p1', month: '2024-04-01', interactions: '2', distinct_users: '1', views: '0', add_to_carts: '1', purchases: '1', reviews: '0' },
      { product_id: 'p2', month: '2024-04-01', interactions: '1', distinct_users: '1', views: '0', add_to_carts: '0', purchases: '0', reviews: '1' },
    ]);
  });

  test('product_monthly_summary follows the reporting time zone (America/New_York, EDT): the UTC small hours of April 1st are March 31st', async () => {
    await loadFiles(boundaryFixture(), { timeZone: 'America/New_York' });
    expect(await query('select product_id, month, interactions, purchases from marts.product_monthly_summary order by product_id, month')).toEqual([
      // ix-1, ix-2, ix-3, ix-4 (20:00 EDT on March 31st) and ix-6 (19:00 EST on February 29th)
      { product_id: 'p1', month: '2024-02-01', interactions: '1', purchases: '0' },
      { product_id: 'p1', month: '2024-03-01', interactions: '4', purchases: '2' },
      { product_id: 'p2', month: '2024-04-01', interactions: '1', purchases: '0' },
    ]);
  });
});

// ---------------------------------------------------------------- analyses, on small fixtures

describe('analyses', () => {
  test('top_products_last_month: the 5 products with most purchases in the latest month of the data; ties by product_id, no purchase no row', async () => {
    const purchases = (product: string, count: number, day: string): CsvDocument[] =>
      Array.from({ length: count }, (_, index) => record(`${product}-${day}-${index}`, `u${index}`, product, 'purchase', `${day}T12:00:00Z`));
    await loadFiles([
      fixtureFile([
        // March: p-z sells most, but March is not the last month
        ...purchases('p-z', 9, '2024-03-10'),
        ...purchases('p-a', 1, '2024-03-10'),
      ]),
      fixtureFile([
        ...purchases('p-a', 3, '2024-04-02'),
        ...purchases('p-b', 2, '2024-04-03'),
        ...purchases('p-c', 2, '2024-04-04'),
        ...purchases('p-f', 1, '2024-04-05'),
        ...purchases('p-e', 1, '2024-04-05'),
        ...purchases('p-d', 1, '2024-04-06'),
        record('v-1', 'u1', 'p-a', 'view', '2024-04-01T08:00:00Z'),
        record('v-2', 'u9', 'p-g', 'view', '2024-04-01T08:00:00Z'),
      ]),
    ]);
    expect(await query(analysis('top_products_last_month'))).toEqual([
      { purchase_rank: '1', month: '2024-04-01', product_id: 'p-a', purchases: '3', views: '1', distinct_users: '3' },
      { purchase_rank: '2', month: '2024-04-01', product_id: 'p-b', purchases: '2', views: '0', distinct_users: '2' },
      { purchase_rank: '3', month: '2024-04-01', product_id: 'p-c', purchases: '2', views: '0', distinct_users: '2' },
      { purchase_rank: '4', month: '2024-04-01', product_id: 'p-d', purchases: '1', views: '0', distinct_users: '1' },
      { purchase_rank: '5', month: '2024-04-01', product_id: 'p-e', purchases: '1', views: '0', distinct_users: '1' },
    ]);
  });

  test('latest_interaction_per_user: one row per user, the latest interaction, a tie at the same instant to the smaller interaction_id', async () => {
    await loadFiles([
      fixtureFile([
        record('ix-1', 'u1', 'p1', 'view', '2024-03-01T10:00:00Z'),
        record('ix-2', 'u1', 'p1', 'purchase', '2024-03-01T10:30:00Z'),
        record('ix-3', 'u1', 'p2', 'view', '2024-03-01T09:00:00Z'),
        record('ix-5', 'u2', 'p3', 'view', '2024-03-02T10:00:00+01:00'),
        record('ix-4', 'u2', 'p4', 'add_to_cart', '2024-03-02T09:00:00Z'),
        record('ix-6', 'u3', 'p1', 'review', '2024-03-03T10:00:00Z'),
      ]),
    ]);
    expect(await query(analysis('latest_interaction_per_user'))).toEqual([
      { user_id: 'u1', interaction_id: 'ix-2', product_id: 'p1', action: 'purchase', occurred_at: at('2024-03-01T10:30:00Z') },
      { user_id: 'u2', interaction_id: 'ix-4', product_id: 'p4', action: 'add_to_cart', occurred_at: at('2024-03-02T09:00:00Z') },
      { user_id: 'u3', interaction_id: 'ix-6', product_id: 'p1', action: 'review', occurred_at: at('2024-03-03T10:00:00Z') },
    ]);
  });

  test('view_to_purchase_conversion: distinct viewers who bought at or after their first view, per product; products without views left out', async () => {
    await loadFiles([
      fixtureFile([
        // p1: 4 viewers; u1 buys after viewing, u2 bought before viewing (does not count),
        // u3 views twice and buys twice (counts once), u4 only views: 2 of 4
        record('a1', 'u1', 'p1', 'view', '2024-03-01T10:00:00Z'),
        record('a2', 'u1', 'p1', 'purchase', '2024-03-01T10:20:00Z'),
        record('a3', 'u2', 'p1', 'purchase', '2024-03-01T09:00:00Z'),
        record('a4', 'u2', 'p1', 'view', '2024-03-01T10:00:00Z'),
        record('a5', 'u3', 'p1', 'view', '2024-03-01T10:00:00Z'),
        record('a6', 'u3', 'p1', 'view', '2024-03-02T10:00:00Z'),
        record('a7', 'u3', 'p1', 'purchase', '2024-03-01T11:00:00Z'),
        record('a8', 'u3', 'p1', 'purchase', '2024-03-03T11:00:00Z'),
        record('a9', 'u4', 'p1', 'view', '2024-03-01T10:00:00Z'),
        // p2: one viewer who buys at the very instant of the view: 1 of 1
        record('b1', 'u1', 'p2', 'view', '2024-03-01T12:00:00Z'),
        record('b2', 'u1', 'p2', 'purchase', '2024-03-01T13:00:00+01:00'),
        // p3: 3 viewers, no buyer (u1 bought p1, another product); p5: 1 viewer, no buyer
        record('c1', 'u1', 'p3', 'view', '2024-03-01T12:00:00Z'),
        record('c2', 'u2', 'p3', 'view', '2024-03-01T12:00:00Z'),
        record('c3', 'u3', 'p3', 'add_to_cart', '2024-03-01T12:00:00Z'),
        record('c4', 'u3', 'p3', 'view', '2024-03-01T11:00:00Z'),
        record('e1', 'u1', 'p5', 'view', '2024-03-01T12:00:00Z'),
        // p4: bought, never viewed: no rate
        record('d1', 'u1', 'p4', 'purchase', '2024-03-01T12:00:00Z'),
      ]),
    ]);
    expect(await query(analysis('view_to_purchase_conversion'))).toEqual([
      { product_id: 'p2', viewers: '1', buyers_after_view: '1', conversion_rate: '1.0000' },
      { product_id: 'p1', viewers: '4', buyers_after_view: '2', conversion_rate: '0.5000' },
      { product_id: 'p3', viewers: '3', buyers_after_view: '0', conversion_rate: '0.0000' },
      { product_id: 'p5', viewers: '1', buyers_after_view: '0', conversion_rate: '0.0000' },
    ]);
  });
});

// ---------------------------------------------------------------- the committed sample

describe('sample', () => {
  let expected: GeneratedSample;

  beforeAll(() => {
    // what the generator meant to write (the first generator test checks it is data/ byte for byte)
    expected = generateProductInteractions({ outDir: tmp() });
  });

  async function loadSample(): Promise<void> {
    await loadFiles(csvFiles(DATA).map((name) => sampleFile(path.join(DATA, name))));
  }

  test('the committed sample, stored as the CSV loader stores it, passes every data test of the example', async () => {
    await loadSample();
    const results = await runDataTests(pool(), MODELS);
    expect(results.length).toBeGreaterThanOrEqual(10);
    const failed = results
      .filter((result) => result.failures > 0)
      .map((result) => ({ test: result.test.name, error: result.error, sample: result.sample }));
    expect(failed).toEqual([]);
  });

  test('the sample gives int_interactions each valid interaction once, with the actions the generator wrote; the one invalid timestamp stays in staging', async () => {
    await loadSample();
    expect(await query('select count(*)::int as n from intermediate.int_interactions')).toEqual([{ n: expected.interactions }]);
    const actions = await query<{ action: string; n: number }>(
      'select action, count(*)::int as n from intermediate.int_interactions group by action order by action',
    );
    expect(Object.fromEntries(actions.map((row) => [row.action, row.n]))).toEqual(expected.actions);
    const resent = expected.files.reduce((sum, file) => sum + file.resent, 0);
    expect(await query('select count(*)::int as n from intermediate.int_interactions where deliveries > 1')).toEqual([{ n: resent }]);
    expect(await query('select invalid_reason, count(*)::int as n from staging.stg_interactions where not is_valid group by invalid_reason')).toEqual(
      [{ invalid_reason: 'invalid timestamp', n: 1 }],
    );
    // quoted product ids reach the models whole
    expect(
      await query(
        `select product_id from marts.product_monthly_summary where product_id like '%,%' or product_id like '%"%' group by product_id order by product_id`,
      ),
    ).toEqual([{ product_id: 'Mug "XL"' }, { product_id: 'SKU 12,RED' }]);
    expect(await query('select distinct month from marts.product_monthly_summary order by month')).toEqual([
      { month: '2024-03-01' },
      { month: '2024-04-01' },
      { month: '2024-05-01' },
    ]);
  });

  test('the data tests catch a stale int_interactions: a new load not yet refreshed fails int_interactions_keeps_latest_valid_delivery', async () => {
    await loadSample();
    await insertLoad({ uri: 'test://late.csv', ...fixtureFile([record('ix-late', 'u-001', 'p-001', 'view', '2024-05-20T10:00:00Z')]) });
    const results = await runDataTests(pool(), MODELS);
    const failed = results.filter((result) => result.failures > 0).map((result) => result.test.name);
    expect(failed).toEqual(['int_interactions_keeps_latest_valid_delivery']);
  });

  test("a time-range query on int_interactions can use the occurred_at index, and one user's time range the (user_id, occurred_at) index", async () => {
    await loadSample();
    await pool().query('analyze intermediate.int_interactions');
    const indexes = await query<{ indexname: string; indexdef: string }>(
      "select indexname, indexdef from pg_indexes where schemaname = 'intermediate' and tablename = 'int_interactions' order by indexname",
    );
    const byTime = indexes.find((index) => index.indexdef.endsWith('(occurred_at)'))?.indexname;
    const byUserTime = indexes.find((index) => index.indexdef.endsWith('(user_id, occurred_at)'))?.indexname;
    expect(byTime).toBeDefined();
    expect(byUserTime).toBeDefined();
    const client = await pool().connect();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      const plan = async (sql: string): Promise<string> => {
        const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${sql}`);
        return JSON.stringify(rows[0]?.['QUERY PLAN']);
      };
      const range = "occurred_at >= '2024-04-01T00:00:00Z' and occurred_at < '2024-04-08T00:00:00Z'";
      expect(await plan(`select interaction_id, product_id from intermediate.int_interactions where ${range}`)).toContain(`"Index Name":"${byTime}"`);
      expect(await plan(`select interaction_id, product_id from intermediate.int_interactions where user_id = 'u-001' and ${range}`)).toContain(
        `"Index Name":"${byUserTime}"`,
      );
      await client.query('rollback');
    } finally {
      client.release();
    }
  });
});
