import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { refreshMarts } from '../../transform/refresh-marts';
import { applySettings, type ModelSettings } from '../../transform/settings';
import { insertRawEvents, selectAll, type LakeRow } from '../helpers/raw-events';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

/**
 * A database for one model test file: migrated and with all models built once
 * (beforeAll). Each test then calls `load` with its own fixture: the raw rows of
 * the previous test are removed, the settings go back to their defaults (UTC,
 * 30 minutes) unless given, the rows are inserted and the marts refreshed.
 *
 * @example
 *   const models = useModelDatabase();
 *   test('...', async () => {
 *     await models.load([{ ts: '2019-02-15 10:00:00.000 +0000', ... }]);
 *     expect(await models.select('marts.user_performance', 'user_id, date')).toEqual([...]);
 *   });
 */
export interface ModelDatabase {
  db(): TestDatabase;
  /** Replaces the raw events with `rows` (one lake object), then refreshes the marts. */
  load(rows: LakeRow[], settings?: ModelSettings): Promise<void>;
  /** Loads several lake objects, e.g. a day's file holding late events of the day before. */
  loadFiles(files: LakeRow[][], settings?: ModelSettings): Promise<void>;
  /** Changes the settings of the loaded data and refreshes the marts (staging views follow at once). */
  reconfigure(settings: ModelSettings): Promise<void>;
  /** All rows of `relation` (optionally only `columns`), ordered by `orderBy`. */
  select(relation: string, orderBy: string, columns?: string): Promise<Record<string, unknown>[]>;
}

export function useModelDatabase(): ModelDatabase {
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  });
  afterAll(async () => {
    await db?.drop();
  });

  const current = (): TestDatabase => {
    if (!db) throw new Error('the model database is not ready (use it inside a test)');
    return db;
  };

  const loadFiles = async (files: LakeRow[][], settings: ModelSettings = {}): Promise<void> => {
    const { pool } = current();
    // no restart identity: load ids are never reused, as in production (the incremental models track them)
    await pool.query('truncate raw.raw_events, raw.loads');
    await pool.query("update elt.settings set reporting_time_zone = 'UTC', session_gap = interval '30 minutes'");
    await applySettings(pool, settings);
    for (const [index, rows] of files.entries()) {
      await insertRawEvents(pool, rows, `test://lake/file-${index}`);
    }
    await refreshMarts(pool, { dir: MODELS_DIR, log: silentLogger });
  };

  return {
    db: current,
    load: (rows, settings) => loadFiles([rows], settings),
    loadFiles,
    reconfigure: async (settings) => {
      const { pool } = current();
      await applySettings(pool, settings);
      await refreshMarts(pool, { dir: MODELS_DIR, log: silentLogger });
    },
    select: async (relation, orderBy, columns) => {
      if (columns === undefined) return selectAll(current().pool, relation, orderBy);
      const { rows } = await current().pool.query(`select ${columns} from ${relation} order by ${orderBy}`);
      return rows;
    },
  };
}
