import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log';
import { listLocalObjects } from '../../loader/sources/local-source';
import { loadLake } from '../../loader/load-lake';
import { buildModels } from '../../transform/build-models';
import { refreshMarts } from '../../transform/refresh-marts';
import { applySettings } from '../../transform/settings';
import { generateLake } from '../../generator/generate-lake';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

const MARTS = [
  ['marts.article_performance', 'article_id, date'],
  ['marts.user_performance', 'user_id, date'],
  ['marts.category_ctr_daily', 'category, date'],
] as const;

let generated: string;
let incremental: TestDatabase;
let scratch: TestDatabase;
beforeAll(async () => {
  generated = mkdtempSync(join(tmpdir(), 'elt-incremental-'));
  await generateLake({ outDir: generated, days: 5, eventsPerDay: 400, seed: 7 });
  incremental = await createTestDatabase({ migrated: true });
  scratch = await createTestDatabase({ migrated: true });
}, 60_000);
afterAll(async () => {
  await incremental.drop();
  await scratch.drop();
});

async function load(db: TestDatabase, dir: string): Promise<void> {
  await loadLake(db.pool, listLocalObjects(dir), silentLogger, { maxRejectRatio: 1 });
}

async function marts(db: TestDatabase) {
  const result: Record<string, unknown[]> = {};
  for (const [mart, key] of MARTS) result[mart] = (await db.pool.query(`select * from ${mart} order by ${key}`)).rows;
  return result;
}

/** A database built from scratch on exactly the files of `dir`. */
async function fromScratch(dir: string, timeZone?: string, sessionGapMinutes?: number) {
  await scratch.pool.query(
    'drop schema if exists intermediate, marts, elt_engine cascade; truncate raw.raw_events, raw.loads, elt.models, elt.model_inputs, elt.folded_loads',
  );
  await scratch.pool.query('create schema intermediate; create schema marts; create schema elt_engine');
  await applySettings(scratch.pool, { timeZone: timeZone ?? 'UTC', sessionGapMinutes: sessionGapMinutes ?? 30 });
  await load(scratch, dir);
  await buildModels(scratch.pool, { dir: MODELS_DIR, log: silentLogger, full: true });
  return marts(scratch);
}

test('after several incremental loads (a new day, a replaced day with late events, a time zone and a session gap change) the marts equal a build from scratch', async () => {
  const lake = mkdtempSync(join(tmpdir(), 'elt-incremental-lake-'));
  const day = (n: number) => `2019-02-${15 + n}.tsv`;
  for (const n of [0, 1, 2]) copyFileSync(join(generated, day(n)), join(lake, day(n)));
  await load(incremental, lake);
  await buildModels(incremental.pool, { dir: MODELS_DIR, log: silentLogger });
  expect(await marts(incremental)).toEqual(await fromScratch(lake));

  // a new day arrives (it holds late events of the day before)
  copyFileSync(join(generated, day(3)), join(lake, day(3)));
  await load(incremental, lake);
  await refreshMarts(incremental.pool, { dir: MODELS_DIR, log: silentLogger });
  expect(await marts(incremental)).toEqual(await fromScratch(lake));

  // an old day's file is replaced by a version with late events for the first day: a new
  // article, and a click on an article that has later days (its later cumulative sums move)
  const { rows: lasting } = await incremental.pool.query<{ article_id: string }>(
    "select article_id from marts.article_performance where date = '2019-02-15' and article_id in " +
      "(select article_id from marts.article_performance where date > '2019-02-15') order by article_id limit 1",
  );
  expect(lasting).toHaveLength(1);
  const late = [
    `2019-02-15 23:59:59.000 +0000\tlate-session\tarticle_viewed\tlate-user\t{"id": "late-article", "category": "news", "title": "Late"}`,
    `2019-02-15 10:00:00.000 +0000\tlate-session\tmy_news_card_viewed\tlate-user\t{"id": "late-article", "category": "news"}`,
    `2019-02-15 11:00:00.000 +0000\tlate-session\tarticle_viewed\tlate-user\t{"id": "${lasting[0]?.article_id}"}`,
  ];
  appendFileSync(join(lake, day(1)), `${late.join('\n')}\n`);
  await load(incremental, lake);
  await refreshMarts(incremental.pool, { dir: MODELS_DIR, log: silentLogger });
  expect(await marts(incremental)).toEqual(await fromScratch(lake));

  // one more day, then a new reporting time zone: everything moves, still equal
  copyFileSync(join(generated, day(4)), join(lake, day(4)));
  await load(incremental, lake);
  await applySettings(incremental.pool, { timeZone: 'Asia/Kolkata' });
  await refreshMarts(incremental.pool, { dir: MODELS_DIR, log: silentLogger });
  expect(await marts(incremental)).toEqual(await fromScratch(lake, 'Asia/Kolkata'));

  // a shorter session gap splits sessions: the sessions, then the user days, are recomputed
  await applySettings(incremental.pool, { sessionGapMinutes: 5 });
  await refreshMarts(incremental.pool, { dir: MODELS_DIR, log: silentLogger });
  expect(await marts(incremental)).toEqual(await fromScratch(lake, 'Asia/Kolkata', 5));
}, 120_000);

test("a refresh after one new load touches only that load's rows in the by-load tables, only its sessions, and only the mart rows of its articles and days", async () => {
  const db = await createTestDatabase({ migrated: true });
  try {
    const lake = mkdtempSync(join(tmpdir(), 'elt-incremental-touch-'));
    mkdirSync(lake, { recursive: true });
    for (const n of [0, 1]) copyFileSync(join(generated, `2019-02-${15 + n}.tsv`), join(lake, `2019-02-${15 + n}.tsv`));
    await load(db, lake);
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
    const versions = async (table: string) =>
      (await db.pool.query<{ version: string }>(`select xmin::text as version from ${table}`)).rows.map((row) => row.version);
    const before = { days: await versions('intermediate.int_user_days_by_load'), sessions: await versions('intermediate.int_sessions') };
    const martRows = async () => ({
      articles: await versions('marts.article_performance'),
      users: await versions('marts.user_performance'),
      categories: await versions('marts.category_ctr_daily'),
    });
    const martsBefore = await martRows();

    writeFileSync(
      join(lake, '2019-02-17.tsv'),
      `${readFileSync(join(generated, '2019-02-15.tsv'), 'utf8').split('\n')[0]}\n2019-02-17 10:00:00.000 +0000\tbrand-new-session\tarticle_viewed\tnew-user\t{"id": "a"}\n`,
    );
    await load(db, lake);
    await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
    const after = { days: await versions('intermediate.int_user_days_by_load'), sessions: await versions('intermediate.int_sessions') };
    // every old row is the very same row version: nothing was rewritten
    expect(after.days.filter((version) => before.days.includes(version))).toHaveLength(before.days.length);
    expect(after.days).toHaveLength(before.days.length + 1);
    expect(after.sessions.filter((version) => before.sessions.includes(version))).toHaveLength(before.sessions.length);
    expect(after.sessions).toHaveLength(before.sessions.length + 1);
    // the marts: only the new article, the new user's new day and the new day's category row are written
    const martsAfter = await martRows();
    for (const mart of ['articles', 'users', 'categories'] as const) {
      expect(martsAfter[mart].filter((version) => martsBefore[mart].includes(version))).toHaveLength(martsBefore[mart].length);
    }
    expect(martsAfter.articles).toHaveLength(martsBefore.articles.length + 1);
    expect(martsAfter.users).toHaveLength(martsBefore.users.length + 1);
    // and they were brought up to date by key, not recomputed and diffed whole
    const { rows: hows } = await db.pool.query("select model, how from elt.refresh_log where model like 'marts.%' and how <> 'built' order by model");
    expect(hows).toEqual([
      { model: 'marts.article_performance', how: 'incremental' },
      { model: 'marts.category_ctr_daily', how: 'incremental' },
      { model: 'marts.user_performance', how: 'incremental' },
    ]);
  } finally {
    await db.drop();
  }
}, 60_000);

test("a replaced file with a late click on a day in the middle of an article's history: the marts equal a build from scratch, and article_performance rewrites each changed article's rows from its earliest changed day on, never a day before", async () => {
  const db = await createTestDatabase({ migrated: true });
  try {
    const lake = mkdtempSync(join(tmpdir(), 'elt-incremental-middle-'));
    const day = (n: number) => `2019-02-${15 + n}.tsv`;
    for (const n of [0, 1, 2, 3, 4]) copyFileSync(join(generated, day(n)), join(lake, day(n)));
    await load(db, lake);
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
    // an article with a row on every day: the late click lands in the middle of its history
    const { rows: lasting } = await db.pool.query<{ article_id: string }>(
      'select article_id from marts.article_performance group by article_id having count(*) = 5 order by article_id limit 1',
    );
    expect(lasting).toHaveLength(1);
    const article = lasting[0]?.article_id as string;
    const before = await db.pool.query<{ article_id: string; date: string; version: string; cumulative: string }>(
      'select article_id, date, xmin::text as version, cumulative_article_views as cumulative from marts.article_performance order by article_id, date',
    );

    // the file of day 3 is replaced by a version that also carries a click of day 1 (a late event two days old)
    appendFileSync(join(lake, day(3)), `2019-02-16 12:00:00.000 +0000\tlate-session\tarticle_viewed\tlate-user\t{"id": "${article}"}\n`);
    await load(db, lake);
    await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
    expect(await marts(db)).toEqual(await fromScratch(lake));

    // the earliest day each article's rows changed on: the days of the old and the new version of the file
    const { rows: firstChanged } = await db.pool.query<{ article_id: string; since: string }>(
      `select article_id, min(event_date)::text as since from intermediate.int_article_days_by_load
        where load_id in (select load_id from raw.loads where source_uri like '%' || $1 and status = 'loaded')
           or (article_id = $2 and event_date = '2019-02-16')
        group by article_id`,
      [day(3), article],
    );
    expect(firstChanged.find((row) => row.article_id === article)?.since).toBe('2019-02-16');
    const since = new Map(firstChanged.map((row) => [row.article_id, row.since]));
    const after = await db.pool.query<{ article_id: string; date: string; version: string; cumulative: string }>(
      'select article_id, date, xmin::text as version, cumulative_article_views as cumulative from marts.article_performance order by article_id, date',
    );
    const versionAfter = new Map(after.rows.map((row) => [`${row.article_id} ${row.date}`, row.version]));
    // a row of a day before its article's earliest changed day is the very same row version (not rewritten)
    const kept = before.rows.filter((row) => row.date < (since.get(row.article_id) ?? '9999-12-31'));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.filter((row) => versionAfter.get(`${row.article_id} ${row.date}`) !== row.version)).toEqual([]);
    // the click moved the article's running sum from that day on, by one
    const sums = (rows: { article_id: string; cumulative: string }[]) =>
      rows.filter((row) => row.article_id === article).map((row) => Number(row.cumulative));
    expect(sums(after.rows)).toEqual(sums(before.rows).map((sum, index) => (index >= 1 ? sum + 1 : sum)));
  } finally {
    await db.drop();
  }
}, 60_000);

test("the refresh reports each incremental mart's rows from the count the engine keeps as it folds (equal to count(*) after a new day, a replaced file, a settings change), not from a count(*) of the mart", async () => {
  const db = await createTestDatabase({ migrated: true });
  try {
    const lake = mkdtempSync(join(tmpdir(), 'elt-incremental-counts-'));
    const day = (n: number) => `2019-02-${15 + n}.tsv`;
    const reported = async () => {
      const results = await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
      return Object.fromEntries(results.map((mart) => [mart.name, mart.rows]));
    };
    const counted = async () => {
      const result: Record<string, number> = {};
      for (const [mart] of MARTS) result[mart] = Number((await db.pool.query<{ n: string }>(`select count(*) as n from ${mart}`)).rows[0]?.n);
      return result;
    };
    for (const n of [0, 1]) copyFileSync(join(generated, day(n)), join(lake, day(n)));
    await load(db, lake);
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
    expect(await reported()).toEqual(await counted());
    copyFileSync(join(generated, day(2)), join(lake, day(2)));
    await load(db, lake);
    expect(await reported()).toEqual(await counted());
    appendFileSync(join(lake, day(1)), `2019-02-15 12:00:00.000 +0000\tlate-session\tarticle_viewed\tlate-user\t{"id": "late-article"}\n`);
    await load(db, lake);
    expect(await reported()).toEqual(await counted());
    await applySettings(db.pool, { timeZone: 'Asia/Kolkata' });
    expect(await reported()).toEqual(await counted());
    // the count is the engine's: one set by hand is what the summary says (no count(*) read the mart)
    await db.pool.query("update elt.models set row_count = 12345 where name = 'marts.article_performance'");
    expect((await reported())['marts.article_performance']).toBe(12345);
  } finally {
    await db.drop();
  }
}, 60_000);
