import { join } from 'node:path';
import { createLogger } from '../../core/log';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  const result = await runCli(['run', '--source', join(__dirname, '..', 'fixtures', 'lake-sample')], {
    env: { ...process.env, DATABASE_URL: db.url },
  });
  expect(result.code).toBe(0);
}, 60_000);
afterAll(() => db.drop());

const env = () => ({ ...process.env, DATABASE_URL: db.url });

test('elt query prints an aligned table with dates as days and a row count', async () => {
  const result = await runCli(
    ['query', 'select category, date, card_views from marts.category_ctr_daily order by card_views desc, category limit 2'],
    { env: env() },
  );
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(
    [
      'category                 | date       | card_views',
      '-------------------------+------------+-----------',
      'fashion_beauty_lifestyle | 2019-02-15 |          9',
      'politics                 | 2019-02-15 |          6',
      '(2 rows)',
      '',
    ].join('\n'),
  );
});

test('elt query --csv and --json print machine-readable rows', async () => {
  const csv = await runCli(['query', "select 'a,b' as text, 1 as n", '--csv'], { env: env() });
  expect(csv.stdout).toBe('text,n\n"a,b",1\n');
  const json = await runCli(['query', 'select 1 as n', '--json'], { env: env() });
  expect(JSON.parse(json.stdout)).toEqual([{ n: 1 }]);
});

test('elt query prints every column of a duplicated name with its own value, in the table and in CSV', async () => {
  const table = await runCli(['query', "select 'a,b' as x, 1 as x"], { env: env() });
  expect(table.stdout).toBe(['x   | x', '----+--', 'a,b | 1', '(1 row)', ''].join('\n'));
  const csv = await runCli(['query', "select 'a,b' as x, 1 as x", '--csv'], { env: env() });
  expect(csv.stdout).toBe('x,x\n"a,b",1\n');
});

test('elt query --json keeps every value when names repeat: the later ones are named x_2, x_3 (skipping names in use)', async () => {
  const json = await runCli(['query', "select 'a,b' as x, 1 as x, 2 as x_2, 3 as x", '--json'], { env: env() });
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toEqual([{ x: 'a,b', x_3: 1, x_2: 2, x_4: 3 }]);
  expect(Object.keys((JSON.parse(json.stdout) as object[])[0] as object)).toEqual(['x', 'x_3', 'x_2', 'x_4']);
});

test('elt query is read-only: a write fails with one line and exit 2, and changes nothing', async () => {
  const result = await runCli(['query', 'delete from raw.raw_events'], { env: env() });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/elt: error: query failed: cannot execute DELETE in a read-only transaction/);
  expect((await db.pool.query('select count(*)::int as n from raw.raw_events')).rows).toEqual([{ n: 30 }]);
});

test('--log-format json writes one JSON object per log line on stderr, and the summary stays on stdout', async () => {
  const result = await runCli(['--log-format', 'json', 'run', '--source', join(__dirname, '..', 'fixtures', 'lake-sample')], { env: env() });
  expect(result.code).toBe(0);
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('{'));
  expect(lines.length).toBeGreaterThan(3);
  for (const line of lines)
    expect(JSON.parse(line)).toMatchObject({
      time: expect.any(String),
      level: expect.stringMatching(/^(info|warn|error)$/),
      invocation_id: expect.any(String),
      step: expect.any(String),
      message: expect.any(String),
    });
  expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).toContainEqual(expect.stringMatching(/^run finished in /));
  expect(result.stdout).toMatch(/^clickstream-elt summary/);
});

test('an unknown log format is a usage error', async () => {
  const result = await runCli(['--log-format', 'xml', 'status'], { env: env() });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/--log-format xml: must be human or json/);
});

test('colours appear only on a terminal and never with NO_COLOR', () => {
  const written: string[] = [];
  const terminal = Object.assign({ write: (text: string) => written.push(text) !== 0, isTTY: true }) as unknown as NodeJS.WritableStream;
  const saved = process.env.NO_COLOR;
  try {
    delete process.env.NO_COLOR;
    createLogger(terminal).error('boom');
    process.env.NO_COLOR = '1';
    createLogger(terminal).error('boom');
    createLogger({ write: (text: string) => written.push(text) !== 0 } as unknown as NodeJS.WritableStream).error('boom');
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
  expect(written).toEqual(['elt: \x1b[31merror: \x1b[0mboom\n', 'elt: error: boom\n', 'elt: error: boom\n']);
});
