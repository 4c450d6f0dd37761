import { Client, Pool } from 'pg';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { insertRawEvents } from './raw-events';
import { createTestDatabase, MODELS_DIR, serverUrl, type TestDatabase } from './test-database';

/** The group roles the migrations set up for one database: `<database>_reader` and so on. */
export function projectRoles(databaseUrl: string): { reader: string; analyst: string; loader: string } {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  return { reader: `${database}_reader`, analyst: `${database}_analyst`, loader: `${database}_loader` };
}

/** Login roles made for one test file, on the test server, and dropped at the end. */
export function createLogins() {
  const suffix = `${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const names: string[] = [];
  const pools: Pool[] = [];

  async function asAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
    const admin = new Client({ connectionString: serverUrl() });
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.end();
    }
  }

  return {
    suffix,
    /** A new login role named `<prefix>_<suffix>`, a member of `groups` (none: a login with no grants at all). */
    async create(prefix: string, groups: string[] = [], extra = ''): Promise<string> {
      const name = `${prefix}_${suffix}`;
      await asAdmin(async (admin) => {
        await admin.query(`create role ${name} login password 'pw' ${extra}`);
        for (const group of groups) await admin.query(`grant "${group}" to ${name}`);
      });
      names.push(name);
      return name;
    },
    /** A pool on `databaseUrl` logged in as `name`. */
    pool(databaseUrl: string, name: string, max = 3): Pool {
      const url = new URL(databaseUrl);
      url.username = name;
      url.password = 'pw';
      const pool = new Pool({ connectionString: url.toString(), max });
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    },
    /** `databaseUrl` with the credentials of `name`. */
    url(databaseUrl: string, name: string): string {
      const url = new URL(databaseUrl);
      url.username = name;
      url.password = 'pw';
      return url.toString();
    },
    asAdmin,
    /** Ends the pools; call before the databases are dropped. */
    async endPools(): Promise<void> {
      await Promise.all(pools.splice(0).map((pool) => pool.end()));
    },
    /** Drops the login roles (after the databases that granted them anything are gone). */
    async dropAll(): Promise<void> {
      await asAdmin(async (admin) => {
        for (const name of names) await admin.query(`drop role if exists ${name}`);
      });
    },
  };
}

/**
 * A migrated test database holding one display event, with the models built: what the
 * role tests log in to. Its drop() also drops the project's roles.
 */
export async function createBuiltProjectDatabase(): Promise<{ db: TestDatabase; roles: ReturnType<typeof projectRoles> }> {
  const db = await createTestDatabase({ migrated: true });
  await insertRawEvents(db.pool, [
    { ts: '2019-02-15 10:00:00 +0000', session: 's', event: 'my_news_card_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
  ]);
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  return { db, roles: projectRoles(db.url) };
}
