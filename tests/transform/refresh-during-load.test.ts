import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log';
import { generateLake } from '../../generator/generate-lake';
import { loadLake } from '../../loader/load-lake';
import { listLocalObjects } from '../../loader/sources/local-source';
import { buildModels } from '../../transform/build-models';
import { refreshMarts } from '../../transform/refresh-marts';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

const MARTS = [
  ['marts.article_performance', 'article_id, date'],
  ['marts.user_performance', 'user_id, date'],
  ['marts.category_ctr_daily', 'category, date'],
] as const;

async function marts(db: TestDatabase): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const [mart, key] of MARTS) result[mart] = (await db.pool.query(`select * from ${mart} order by ${key}`)).rows;
  return result;
}

const load = (db: TestDatabase, dir: string) => loadLake(db.pool, listLocalObjects(dir), silentLogger, { maxRejectRatio: 1 });

test('a load committed while a refresh runs (after it folded int_events, before the models built on it) is folded by every model at the next refresh', async () => {
  const generated = mkdtempSync(join(tmpdir(), 'elt-refresh-during-'));
  const [firstLake, bothLake] = [mkdtempSync(join(tmpdir(), 'elt-refresh-a-')), mkdtempSync(join(tmpdir(), 'elt-refresh-b-'))];
  await generateLake({ outDir: generated, days: 2, eventsPerDay: 300, seed: 31 });
  copyFileSync(join(generated, '2019-02-15.tsv'), join(firstLake, '2019-02-15.tsv'));
  for (const day of ['2019-02-15.tsv', '2019-02-16.tsv']) copyFileSync(join(generated, day), join(bothLake, day));
  const [db, scratch] = await Promise.all([createTestDatabase({ migrated: true }), createTestDatabase({ migrated: true })]);
  const blocker = await db.pool.connect();
  try {
    await load(db, firstLake);
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });

    // the refresh stops at the first model built on int_events, int_events already brought up to date
    await blocker.query('begin');
    await blocker.query('lock table intermediate.int_article_days_by_load in access exclusive mode');
    const refreshing = refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
    const waiting = async () =>
      (await db.pool.query("select 1 from pg_stat_activity where query like 'call elt.refresh_marts%' and wait_event_type = 'Lock'")).rowCount === 1;
    const deadline = Date.now() + 10_000;
    while (!(await waiting())) {
      if (Date.now() > deadline) throw new Error('the refresh never waited for the lock');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await load(db, bothLake); // the second day commits meanwhile
    await blocker.query('commit');
    await refreshing;
    await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });

    await load(scratch, bothLake);
    await buildModels(scratch.pool, { dir: MODELS_DIR, log: silentLogger });
    expect(await marts(db)).toEqual(await marts(scratch));
  } finally {
    await blocker.query('rollback').catch(() => undefined);
    blocker.release();
    await Promise.all([db.drop(), scratch.drop()]);
  }
});
