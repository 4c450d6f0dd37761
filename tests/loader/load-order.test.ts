import { Readable } from 'node:stream';
import type { Pool } from 'pg';
import { silentLogger } from '../../core/log';
import type { LakeObject } from '../../loader/sources/lake-object';
import { loadLake } from '../../loader/load-lake';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// "The latest load wins" (a model keeping the copy with the greatest load_id) needs load ids
// in the order objects are listed, whatever the concurrency and however long each object
// takes to start or to read, or whether it was retried.
const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const lake = (tag: string) => `${HEADER}\n2019-02-15 03:07:03.662 +0000\ts-${tag}\ttop_news_card_viewed\tu-${tag}\t{"id":"a-${tag}"}\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(async () => {
  await db.drop();
});

let objects = 0;
/** A lake object from memory: its stream opens after `openMs`; its first `failures` opens fail transiently. */
function memoryObject(content: string, hooks: { openMs?: number; failures?: number } = {}): LakeObject {
  objects += 1;
  const uri = `memory:///order/${objects}.tsv`;
  let failures = hooks.failures ?? 0;
  return {
    uri,
    size: Buffer.byteLength(content),
    gzip: false,
    format: 'tsv-lake',
    open: async () => {
      await sleep(hooks.openMs ?? 0);
      if (failures > 0) {
        failures -= 1;
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      }
      return Readable.from([Buffer.from(content)]);
    },
  };
}

/** The pool, but the first object's first connection arrives `ms` late: its ledger row would be written after the next one's. */
function firstConnectionLate(pool: Pool, ms: number): Pool {
  let connections = 0;
  return {
    query: pool.query.bind(pool),
    connect: async () => {
      connections += 1;
      if (connections === 1) await sleep(ms);
      return pool.connect();
    },
  } as unknown as Pool;
}

async function loadedIds(list: LakeObject[]): Promise<bigint[]> {
  const { rows } = await db.pool.query<{ source_uri: string; load_id: string }>(
    "select source_uri, load_id from raw.loads where status = 'loaded' and source_uri = any($1)",
    [list.map((o) => o.uri)],
  );
  return list.map((o) => BigInt(rows.find((row) => row.source_uri === o.uri)?.load_id ?? -1));
}

test('with two objects at once, the earlier-listed one gets the smaller load id even when it starts later and reads slower', async () => {
  const list = [memoryObject(lake('early'), { openMs: 300 }), memoryObject(lake('late'))];
  const summary = await loadLake(firstConnectionLate(db.pool, 300), list, silentLogger, { concurrency: 2 });
  expect(summary.loaded).toBe(2);
  const [early, late] = await loadedIds(list);
  expect(early).toBeLessThan(late as bigint);
});

test('an earlier-listed object retried after a transient failure still gets a smaller load id than the next one', async () => {
  const list = [memoryObject(lake('retried'), { failures: 2 }), memoryObject(lake('next'), { openMs: 50 }), memoryObject(lake('last'))];
  const summary = await loadLake(db.pool, list, silentLogger, { concurrency: 3, retryDelayMs: 20 });
  expect(summary.loaded).toBe(3);
  const ids = await loadedIds(list);
  expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
});

test('in a run of many objects at concurrency 4 with varied reading times, load ids follow the listing', async () => {
  const list = Array.from({ length: 12 }, (_, i) => memoryObject(lake(`many-${i}`), { openMs: (i * 37) % 60 }));
  const summary = await loadLake(db.pool, list, silentLogger, { concurrency: 4 });
  expect(summary.loaded).toBe(12);
  const ids = await loadedIds(list);
  expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
});
