import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log';
import { listLocalObjects } from '../../loader/sources/local-source';
import { loadObject } from '../../loader/load-object';
import { buildModels } from '../../transform/build-models';
import { readModels } from '../../transform/model-catalog';
import { formatLineageMermaid, readLineage } from '../../observe/lineage';
import { refreshMarts } from '../../transform/refresh-marts';
import { formatStatus, readStatus, type Status } from '../../observe/status';
import { runCli } from '../helpers/run-cli';
import { copyOfModels, createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
let db: TestDatabase;
let dir: string;
beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  dir = mkdtempSync(join(tmpdir(), 'elt-status-'));
});
afterEach(() => db.drop());

async function load(name: string, content: string) {
  writeFileSync(join(dir, name), content);
  const [object] = listLocalObjects(join(dir, name));
  return loadObject(db.pool, object!, { maxRejectRatio: 0.05 });
}

test('status lists the latest attempt per object and flags marts refreshed before the last load as stale', async () => {
  await load('2019-02-15.tsv', `${HEADER}\n2019-02-15 10:00:00 +0000\ts\tarticle_viewed\tu\t{"id":"a"}\n`);
  await load('2019-02-16.tsv', 'not a header\n');
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  let status = await readStatus(db.pool, MODELS_DIR);
  expect(status.objects.map((o) => [o.uri.replace(/.*\//, ''), o.status, o.rows])).toEqual([
    ['2019-02-15.tsv', 'loaded', 1],
    ['2019-02-16.tsv', 'failed', 0],
  ]);
  expect(status.totals).toMatchObject({ loaded: 1, failed: 1, unfinished: 0, rows: 1, rejects: 0 });
  expect(status.marts.map((m) => [m.name, m.rows, m.stale])).toEqual([
    ['marts.article_performance', 1, false],
    ['marts.category_ctr_daily', 0, false],
    ['marts.user_performance', 1, false],
  ]);

  await load('2019-02-17.tsv', `${HEADER}\n2019-02-17 10:00:00 +0000\ts\tarticle_viewed\tu\t{"id":"a"}\n`);
  status = await readStatus(db.pool, MODELS_DIR);
  expect(status.marts.every((m) => m.stale)).toBe(true);
  await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
  status = await readStatus(db.pool, MODELS_DIR);
  expect(status.marts.map((m) => [m.name, m.rows, m.stale])).toEqual([
    ['marts.article_performance', 2, false],
    ['marts.category_ctr_daily', 0, false],
    ['marts.user_performance', 2, false],
  ]);
});

test('a mart dropped by hand is shown as missing, not fresh, in the table and the JSON, and elt status exits 12 (needs attention)', async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  await db.pool.query('drop table marts.user_performance');
  const status = await readStatus(db.pool, MODELS_DIR);
  expect(status.marts.map((m) => [m.name, m.rows, m.missing])).toEqual([
    ['marts.article_performance', 0, false],
    ['marts.category_ctr_daily', 0, false],
    ['marts.user_performance', null, true],
  ]);
  const line = formatStatus(status)
    .split('\n')
    .find((text) => text.startsWith('marts.user_performance')) as string;
  expect(line).toMatch(/MISSING: not in the database \(run elt build\)$/);
  expect(line).not.toMatch(/\byes\b/);
  const json = await runCli(['status', '--json'], { env: { ...process.env, DATABASE_URL: db.url } });
  expect(json.code).toBe(13);
  const parsed = JSON.parse(json.stdout) as { marts: { name: string; missing: boolean }[]; attention: string[] };
  expect(parsed.attention).toEqual(['1 missing mart']);
  expect(parsed.marts.find((m) => m.name === 'marts.user_performance')?.missing).toBe(true);
});

/** Each row has a value in `column` exactly under its header word: starting at it (left-aligned) or ending at it (right-aligned). */
function expectUnderHeader(header: string, rows: string[], column: string, align: 'left' | 'right'): void {
  const start = header.indexOf(` ${column}`) + 1;
  const end = start + column.length;
  for (const row of rows) {
    if (align === 'left') expect([row[start - 1], row[start] === ' ']).toEqual([' ', false]);
    else expect([row[end - 1] === ' ', row[end]]).toEqual([false, ' ']);
  }
}

test('long object URIs and mart names do not push the status table out of line, and are printed whole', () => {
  const deep = `file:///${'very/deep/folder/'.repeat(8)}2019-02-15.tsv`;
  const longMart = `marts.${'a_mart_with_a_long_name_'.repeat(2)}x`;
  const status: Status = {
    objects: [
      {
        uri: 'file:///lake/2019-02-14.tsv',
        status: 'loaded',
        rows: 12,
        rejects: 0,
        finishedAt: '2026-01-01T00:00:00.000Z',
        error: null,
        acknowledgedAt: null,
      },
      { uri: deep, status: 'failed', rows: 1234567, rejects: 3, finishedAt: '2026-01-01T00:00:01.000Z', error: 'bad header', acknowledgedAt: null },
      { uri: 'file:///lake/2019-02-16.tsv', status: 'loading', rows: null, rejects: null, finishedAt: null, error: null, acknowledgedAt: null },
    ],
    streams: [],
    freshness: {
      checkedAt: '2026-01-01T00:00:03.000Z',
      thresholds: { warnAfter: '26h', errorAfter: '50h', warnAfterMs: 26 * 3600_000, errorAfterMs: 50 * 3600_000, by: 'load' },
      eventTime: null,
      sources: [],
      state: 'error',
    },
    totals: {
      loaded: 1,
      failed: 1,
      acknowledged: 0,
      duplicate: 0,
      unfinished: 1,
      rows: 12,
      rejects: 0,
      lastLoadAt: '2026-01-01T00:00:00.000Z',
      lastRefreshAt: '2026-01-01T00:00:02.000Z',
    },
    marts: [
      { name: 'marts.short', rows: 5, lastRefreshAt: '2026-01-01T00:00:02.000Z', stale: false, missing: false, missingAfterData: false },
      { name: longMart, rows: 123456789, lastRefreshAt: null, stale: true, missing: false, missingAfterData: false },
    ],
    orphans: [],
    environments: [],
    attention: ['1 failed object', '1 unfinished object', '1 stale mart'],
  };
  const lines = formatStatus(status, { all: true }).split('\n');
  const objectHeader = lines.find((line) => line.startsWith('status ')) as string;
  const objectRows = lines.filter((line) => line.includes('file:///'));
  expect(objectRows).toHaveLength(3);
  expectUnderHeader(objectHeader, objectRows, 'rows', 'right');
  expectUnderHeader(objectHeader, objectRows, 'rejects', 'right');
  expectUnderHeader(objectHeader, objectRows, 'finished', 'left');
  expectUnderHeader(objectHeader, objectRows, 'object', 'left');
  // the URI comes last, whole
  expect(objectRows.map((row) => row.slice(objectHeader.indexOf(' object') + 1))).toEqual(status.objects.map((object) => object.uri));
  expect(lines).toContain('    bad header');
  expect(lines[0]).toBe(
    'lake objects: 3 (1 loaded, 1 failed, 1 unfinished); 12 rows, 0 rejected; last load 2026-01-01T00:00:00.000Z; last refresh 2026-01-01T00:00:02.000Z',
  );
  expect(formatStatus({ ...status, totals: { ...status.totals, duplicate: 2 } }).split('\n')[0]).toMatch(
    /\(1 loaded, 1 failed, 2 duplicate, 1 unfinished\)/,
  );

  const martHeader = lines.find((line) => line.startsWith('mart ')) as string;
  const martRows = lines.filter((line) => line.startsWith('marts.'));
  expect(martRows).toHaveLength(2);
  expectUnderHeader(martHeader, martRows, 'rows', 'right');
  expectUnderHeader(martHeader, martRows, 'last refresh', 'left');
  expectUnderHeader(martHeader, martRows, 'fresh', 'left');
  expect(martRows[1]?.startsWith(`${longMart} `)).toBe(true);
});

test('elt status --json prints the same status as JSON', async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  const result = await runCli(['status', '--json'], { env: { ...process.env, DATABASE_URL: db.url } });
  expect(result.code).toBe(0);
  const parsed = JSON.parse(result.stdout) as { objects: unknown[]; marts: { name: string }[] };
  expect(parsed.objects).toEqual([]);
  expect(parsed.marts.map((m) => m.name)).toEqual(['marts.article_performance', 'marts.category_ctr_daily', 'marts.user_performance']);
});

test('lineage comes from the database catalog: raw -> staging -> intermediate -> marts, as text and Mermaid', async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  expect(await readLineage(db.pool)).toEqual([
    { source: 'intermediate.int_events', model: 'intermediate.int_article_days_by_load' },
    { source: 'intermediate.int_events', model: 'intermediate.int_category_days_by_load' },
    { source: 'staging.stg_events', model: 'intermediate.int_events' },
    { source: 'elt.settings', model: 'intermediate.int_sessions' },
    { source: 'intermediate.int_events', model: 'intermediate.int_sessions' },
    { source: 'intermediate.int_events', model: 'intermediate.int_user_days_by_load' },
    { source: 'intermediate.int_article_days_by_load', model: 'marts.article_performance' },
    { source: 'intermediate.int_category_days_by_load', model: 'marts.category_ctr_daily' },
    { source: 'intermediate.int_sessions', model: 'marts.user_performance' },
    { source: 'intermediate.int_user_days_by_load', model: 'marts.user_performance' },
    { source: 'elt.settings', model: 'staging.stg_events' },
    { source: 'raw.raw_events', model: 'staging.stg_events' },
  ]);
  const mermaid = formatLineageMermaid(await readLineage(db.pool));
  expect(mermaid).toMatch(/^flowchart LR\n/);
  expect(mermaid).toContain('raw_raw_events --> staging_stg_events');
  const text = await runCli(['lineage'], { env: { ...process.env, DATABASE_URL: db.url } });
  expect(text.stdout).toContain('marts.user_performance <- intermediate.int_sessions, intermediate.int_user_days_by_load');
});

test('build --select int_sessions+ rebuilds exactly that model and its downstream', async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  const result = await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger, select: ['int_sessions+'] });
  expect(result.built).toEqual(['intermediate.int_sessions', 'marts.user_performance']);
  await expect(buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger, select: ['nope+'] })).rejects.toThrow(/--select "nope\+": no such model/);
});

test('an edited model file rebuilds exactly the expected models, and readers never see the mart missing', async () => {
  const models = copyOfModels();
  await buildModels(db.pool, { dir: models, log: silentLogger });
  const path = join(models, 'staging', 'stg_events.sql');
  writeFileSync(path, readFileSync(path, 'utf8').replace('select * from final', 'select * from final where true'));
  // a reader polls the mart during the rebuild: every query must succeed
  let polling = true;
  const failures: string[] = [];
  const poller = (async () => {
    while (polling) {
      await db.pool.query('select count(*) from marts.user_performance').catch((err: Error) => failures.push(err.message));
    }
  })();
  const result = await buildModels(db.pool, { dir: models, log: silentLogger });
  polling = false;
  await poller;
  // stg_events is upstream of everything: every model is rebuilt
  expect(result.built).toEqual(readModels(models).map((model) => model.name));
  expect(failures).toEqual([]);
});
