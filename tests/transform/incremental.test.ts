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
async function fromScratch(dir: string, timeZone?: string) {
  await scratch.pool.query('drop schema if exists intermediate, marts cascade; truncate raw.raw_events, raw.loads, elt.models, elt.folded_loads');
  await scratch.pool.query('create schema intermediate; create schema marts');
  await applySettings(scratch.pool, { timeZone: timeZone ?? 'UTC' });
  await load(scratch, dir);
  await buildModels(scratch.pool, { dir: MODELS_DIR, log: silentLogger, full: true });
  return marts(scratch);
}

test('after several incremental loads (a new day, a replaced day with late events, a time zone change) the marts equal a build from scratch', async () => {
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

  // an old day's file is replaced by a version with two more late events for the first day
  const late = [
    `2019-02-15 23:59:59.000 +0000\tlate-session\tarticle_viewed\tlate-user\t{"id": "late-article", "category": "news", "title": "Late"}`,
    `2019-02-15 10:00:00.000 +0000\tlate-session\tmy_news_card_viewed\tlate-user\t{"id": "late-article", "category": "news"}`,
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
}, 120_000);

test("a refresh after one new load touches only that load's rows in the by-load tables, and only its sessions", async () => {
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
  } finally {
    await db.drop();
  }
}, 60_000);
