import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from './test-database';

/**
 * For a loader test file: a migrated database of its own and a fresh lake folder per
 * case (`folder()`), both made before its tests and dropped after them.
 *
 * @example const lakes = useDatabaseAndLakeFolders('elt-duplicates-'); ... loadLake(lakes.db().pool, { source: lakes.folder() })
 */
export function useDatabaseAndLakeFolders(prefix: string): { db(): TestDatabase; folder(): string } {
  let db: TestDatabase | undefined;
  let root = '';
  let folders = 0;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    root = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(root, { recursive: true, force: true });
  });
  return {
    db: () => {
      if (!db) throw new Error('the test database is made in beforeAll');
      return db;
    },
    folder: () => {
      folders += 1;
      const dir = join(root, `lake-${folders}`);
      mkdirSync(dir);
      return dir;
    },
  };
}
