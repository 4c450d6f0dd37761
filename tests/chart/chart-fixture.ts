import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { insertRawEvents, type LakeRow } from '../helpers/raw-events';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

let sequence = 0;

/** `displays` card views and `clicks` article views of one category on one day (UTC noon onwards). */
export function categoryDay(category: string, date: string, displays: number, clicks: number): LakeRow[] {
  const at = (minute: number) => `${date} 12:${String(minute).padStart(2, '0')}:00.000 +0000`;
  const rows: LakeRow[] = [];
  for (let i = 0; i < displays + clicks; i += 1) {
    sequence += 1;
    rows.push({
      ts: at(i),
      session: `s-${category}-${date}`,
      event: i < displays ? 'top_news_card_viewed' : 'article_viewed',
      user: 'u1',
      attributes: { id: `a${sequence}`, category },
    });
  }
  return rows;
}

/**
 * Four categories over three days (2019-02-15..17). Displays in total: sport 8,
 * news 6, tech 3, weather 1. news has clicks but no displays on 2019-02-16 (NULL
 * CTR: a gap); weather has rows on 2019-02-16 only.
 */
export const CHART_FIXTURE: LakeRow[] = [
  ...categoryDay('news', '2019-02-15', 4, 2),
  ...categoryDay('news', '2019-02-16', 0, 1),
  ...categoryDay('news', '2019-02-17', 2, 1),
  ...categoryDay('sport', '2019-02-15', 2, 1),
  ...categoryDay('sport', '2019-02-16', 4, 1),
  ...categoryDay('sport', '2019-02-17', 2, 0),
  ...categoryDay('tech', '2019-02-15', 1, 1),
  ...categoryDay('tech', '2019-02-16', 1, 0),
  ...categoryDay('tech', '2019-02-17', 1, 1),
  ...categoryDay('weather', '2019-02-16', 1, 0),
];

/** A migrated test database holding CHART_FIXTURE's events, with the clickstream models built on them. */
export async function chartFixtureDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrated: true });
  await insertRawEvents(db.pool, CHART_FIXTURE);
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  return db;
}
