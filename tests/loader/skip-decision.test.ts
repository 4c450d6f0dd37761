import { Readable } from 'node:stream';
import { Pool, type PoolClient } from 'pg';
import { silentLogger } from '../../core/log';
import type { LakeObject } from '../../loader/sources/lake-object';
import { loadLake } from '../../loader/load-lake';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { recorder } from '../helpers/recording-log';

// A run with one new object in a lake of many loaded ones: what the loader sends the database
// for the objects it skips is decided for all of them at once (issue 26), so the run of one
// new object costs what the new object brings, not the number of objects loaded before.
const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const content = (tag: string) => `${HEADER}\n2019-02-15 03:07:03.662 +0000\ts-${tag}\ttop_news_card_viewed\tu-${tag}\t{"id":"a-${tag}"}\n`;
const MODIFIED = new Date('2019-02-16T00:00:00Z');

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(async () => {
  await db.drop();
});

/** A lake object from memory, with a modification time (so an unchanged one is known without reading it); `opened` counts its opens. */
function memoryObject(lake: string, name: string, opened: string[], text = content(`${lake}-${name}`)): LakeObject {
  const uri = `memory:///${lake}/${name}.tsv`;
  return {
    uri,
    size: Buffer.byteLength(text),
    gzip: false,
    format: 'tsv-lake',
    modifiedAt: MODIFIED,
    open: async () => {
      opened.push(uri);
      return Readable.from([Buffer.from(text)]);
    },
  };
}

/** A pool on the test database that counts every statement any of its sessions sends. */
function countingPool(): { pool: Pool; statements: () => number } {
  let statements = 0;
  const pool = new Pool({ connectionString: db.url, max: 4 });
  pool.on('connect', (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements += 1;
      return query(...args);
    };
  });
  return { pool, statements: () => statements };
}

/** Loads `loadedBefore` objects of a lake, then (counted) the same objects and one new one: the statements the second run sent and the objects it opened. */
async function oneNewObjectAfter(lake: string, loadedBefore: number) {
  const opened: string[] = [];
  const old = Array.from({ length: loadedBefore }, (_, i) => memoryObject(lake, `day-${String(i).padStart(3, '0')}`, opened));
  const first = await loadLake(db.pool, old, silentLogger);
  expect(first.loaded).toBe(loadedBefore);
  opened.length = 0;
  const counted = countingPool();
  const recorded = recorder();
  try {
    const summary = await loadLake(counted.pool, [...old, memoryObject(lake, 'day-new', opened)], recorded.log, { concurrency: 1 });
    expect(summary).toMatchObject({ loaded: 1, skipped: loadedBefore, failed: 0 });
    return { statements: counted.statements(), opened: [...opened], lines: recorded.lines };
  } finally {
    await counted.pool.end();
  }
}

test('a run with one new object sends as many statements after 40 loaded objects as after 2: the skip decision is one set-based lookup, not one per object', async () => {
  const few = await oneNewObjectAfter('few', 2);
  const many = await oneNewObjectAfter('many', 40);
  expect(few.opened).toEqual(['memory:///few/day-new.tsv']);
  expect(many.opened).toEqual(['memory:///many/day-new.tsv']);
  expect(many.statements).toBe(few.statements);
});

test('the objects skipped unchanged are told in one summary line, not a line each; the new object keeps its own line', async () => {
  const { lines } = await oneNewObjectAfter('lines', 5);
  expect(lines.filter((line) => /unchanged/.test(line))).toEqual(['info 5 of 6 objects unchanged since their last load: skipped unread']);
  expect(lines.filter((line) => /day-new\.tsv: loaded 1 rows/.test(line))).toHaveLength(1);
});
