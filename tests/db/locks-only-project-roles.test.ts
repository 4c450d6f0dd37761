import { join } from 'node:path';
import type { Pool } from 'pg';
import { silentLogger } from '../../core/log';
import { lockedTransaction } from '../../db/locked-transaction';
import { listLocalObjects } from '../../loader/sources/local-source';
import { loadObject } from '../../loader/load-object';
import { refreshMarts } from '../../transform/refresh-marts';
import { MODELS_DIR, type TestDatabase } from '../helpers/test-database';
import { createBuiltProjectDatabase, createLogins, projectRoles } from '../helpers/logins';

let db: TestDatabase;
const logins = createLogins();
let roles: ReturnType<typeof projectRoles>;
let hostile: Pool;
let loader: Pool;
let analyst: Pool;
let hostileName: string;
const LAKE_FILE = join(__dirname, '..', 'fixtures', 'lake-sample', '2019-02-15.tsv');

beforeAll(async () => {
  ({ db, roles } = await createBuiltProjectDatabase());
  // a login with no grants in the project; it may connect (as PUBLIC may on a database nobody locked down)
  hostileName = await logins.create('mallory');
  await db.pool.query(`grant connect on database "${new URL(db.url).pathname.slice(1)}" to ${hostileName}`);
  hostile = logins.pool(db.url, hostileName, 1);
  loader = logins.pool(db.url, await logins.create('lars', [roles.loader]));
  analyst = logins.pool(db.url, await logins.create('anna', [roles.analyst]));
});

afterAll(async () => {
  await logins.endPools();
  await db.drop(); // and the project's roles
  await logins.dropAll();
});

/** `promise`, or a rejection naming `what` when it takes longer than `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test('a login with no grants holding the old advisory keys stalls neither a refresh nor a load, and cannot take the new locks', async () => {
  const [object] = listLocalObjects(LAKE_FILE);
  const client = await hostile.connect();
  try {
    for (const key of ['clickstream-elt:refresh', 'clickstream-elt:migrate', `clickstream-elt:load:${object!.uri}`]) {
      await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
    }
    await expect(client.query("select from elt.locks where name = 'clickstream-elt:refresh' for update")).rejects.toThrow(/permission denied/);
    await expect(lockedTransaction(client, `clickstream-elt:load:${object!.uri}`, async () => 'locked', 2)).rejects.toThrow(/permission denied/);

    await expect(within(15_000, 'elt refresh', refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger }))).resolves.toHaveLength(3);
    await expect(within(15_000, 'an analyst refresh', analyst.query('call elt.refresh_marts()'))).resolves.toBeTruthy();
    await expect(within(15_000, 'the load', loadObject(loader, object!, { maxRejectRatio: 0.05 }))).resolves.toMatchObject({ status: 'loaded' });
  } finally {
    client.release(true);
  }
});

test('the loader role takes its load locks, and cannot take the refresh or migrate lock', async () => {
  const client = await loader.connect();
  try {
    await expect(lockedTransaction(client, 'clickstream-elt:load:file:///lake/x.tsv', async () => 'locked', 2)).resolves.toBe('locked');
    await expect(lockedTransaction(client, 'clickstream-elt:refresh', async () => 'locked', 2)).rejects.toThrow(/lock clickstream-elt:refresh/);
    await expect(lockedTransaction(client, 'clickstream-elt:migrate', async () => 'locked', 2)).rejects.toThrow(/lock clickstream-elt:migrate/);
  } finally {
    client.release();
  }
});

test('a load lock held by another project session past the timeout fails with one line naming the lock', async () => {
  const holder = await loader.connect();
  const waiter = await loader.connect();
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  try {
    let held: () => void = () => undefined;
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    const holding = lockedTransaction(holder, 'clickstream-elt:load:file:///lake/busy.tsv', async () => {
      held();
      await released;
    });
    await isHeld;
    const started = Date.now();
    const error = await lockedTransaction(waiter, 'clickstream-elt:load:file:///lake/busy.tsv', async () => 'locked', 1).catch((err: Error) => err);
    expect(String((error as Error).message)).toMatch(
      /^waited 1 s for the lock clickstream-elt:load:file:\/\/\/lake\/busy\.tsv \(another elt process holds it\)/,
    );
    expect(String((error as Error).message)).not.toContain('\n');
    expect(Date.now() - started).toBeLessThan(5000);
    release();
    await holding;
  } finally {
    release();
    holder.release();
    waiter.release();
  }
});

test('the refresh lock held by a build past the lock timeout fails the refresh with one line naming the lock', async () => {
  const holder = await db.pool.connect();
  const client = await analyst.connect();
  try {
    await holder.query('begin');
    await holder.query("select from elt.locks where name = 'clickstream-elt:refresh' for update");
    await client.query("set lock_timeout = '1s'");
    await expect(client.query('call elt.refresh_marts()')).rejects.toThrow(
      /^waited 1s for the refresh lock \(clickstream-elt:refresh\): another refresh or build holds it$/,
    );
    await holder.query('rollback');
    await expect(client.query('call elt.refresh_marts()')).resolves.toBeTruthy();
  } finally {
    await client.query('reset lock_timeout').catch(() => undefined);
    holder.release();
    client.release();
  }
});
