import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log';
import { Client, type Pool } from 'pg';
import { listMigrationFiles, migrate } from '../../db/migrate';
import { createTestDatabase, MIGRATIONS_DIR, serverUrl, type TestDatabase } from '../helpers/test-database';
import { createLogins, projectRoles } from '../helpers/logins';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
  await createLogins().asAdmin(async (admin) => {
    for (const role of Object.values(projectRoles(db.url))) await admin.query(`drop role if exists "${role}"`);
  });
});

test('migrations apply once each, in name order, and a second run applies nothing', async () => {
  const first = await migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger });
  expect(first.applied).toEqual(listMigrationFiles(MIGRATIONS_DIR).map((m) => m.name));
  expect((await migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger })).applied).toEqual([]);
});

test('two processes migrating at once apply each migration exactly once', async () => {
  const results = await Promise.all([
    migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger }),
    migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger }),
  ]);
  expect(results.map((r) => r.applied.length).sort()).toEqual([0, listMigrationFiles(MIGRATIONS_DIR).length]);
});

test('a failing migration names itself and leaves no earlier migration of the same run applied', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elt-migrations-'));
  writeFileSync(join(dir, '0001_ok.sql'), 'create table public.first_table (id int);');
  writeFileSync(join(dir, '0002_broken.sql'), 'create tabel oops;');
  await expect(migrate(db.pool, { dir, log: silentLogger })).rejects.toThrow(/^migration 0002_broken.sql failed: syntax error/);
  const { rows } = await db.pool.query("select to_regclass('public.first_table') as t");
  expect(rows).toEqual([{ t: null }]);
});

describe('roles and notices', () => {
  const logins = createLogins();
  afterAll(() => logins.dropAll());

  /** A database owned by a new login without CREATEROLE, and a pool logged in as that owner. */
  async function ownedDatabase(): Promise<{ pool: Pool; database: string; roles: ReturnType<typeof projectRoles>; drop: () => Promise<void> }> {
    const owner = await logins.create('olga');
    const database = `elt_owned_${logins.suffix}_${Math.floor(Math.random() * 1e6)}`;
    await logins.asAdmin((admin) => admin.query(`create database ${database} owner ${owner}`));
    const url = new URL(serverUrl());
    url.pathname = `/${database}`;
    const pool = logins.pool(url.toString(), owner);
    const roles = projectRoles(url.toString());
    return {
      pool,
      database,
      roles,
      drop: async () => {
        await logins.endPools();
        await logins.asAdmin(async (admin) => {
          await admin.query(`drop database if exists ${database} with (force)`);
          for (const role of Object.values(roles)) await admin.query(`drop role if exists "${role}"`);
        });
      },
    };
  }

  test('an owner without CREATEROLE is warned that the roles cannot be created; once a superuser creates them, the next migrate grants them', async () => {
    const owned = await ownedDatabase();
    try {
      const warnings: string[] = [];
      const log = { ...silentLogger, warn: (message: string) => warnings.push(message) };
      const first = await migrate(owned.pool, { dir: MIGRATIONS_DIR, log });
      expect(first.notices).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^cannot create role ${owned.roles.reader} \\(no CREATEROLE\\)`))]),
      );
      expect(warnings).toEqual(first.notices);
      // IF [NOT] EXISTS chatter is not worth a warning
      expect(first.notices.filter((notice) => /skipping$/.test(notice))).toEqual([]);

      await logins.asAdmin(async (admin) => {
        for (const role of Object.values(owned.roles)) await admin.query(`create role "${role}" nologin`);
      });
      const second = await migrate(owned.pool, { dir: MIGRATIONS_DIR, log: silentLogger });
      expect(second).toEqual({ applied: [], notices: [] });
      const { rows } = await owned.pool.query(
        `select has_table_privilege($1, 'raw.raw_events', 'insert') as loader_inserts,
                has_schema_privilege($2, 'marts', 'usage') as reader_uses_marts,
                has_function_privilege($3, 'elt.refresh_marts(text[])', 'execute') as analyst_refreshes,
                has_database_privilege($2, current_database(), 'connect') as reader_connects`,
        [owned.roles.loader, owned.roles.reader, owned.roles.analyst],
      );
      expect(rows).toEqual([{ loader_inserts: true, reader_uses_marts: true, analyst_refreshes: true, reader_connects: true }]);
    } finally {
      await owned.drop();
    }
  });

  test('a first migration stalled by someone holding its advisory key fails after the lock timeout with one line naming the lock', async () => {
    const hostile = await logins.create('mallory');
    const holder = new Client({ connectionString: logins.url(db.url, hostile) });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock(hashtextextended('clickstream-elt:migrate', 0))");
      await expect(migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger, lockTimeoutSeconds: 1 })).rejects.toThrow(
        /^waited 1 s for the lock clickstream-elt:migrate \(another elt process holds it\)/,
      );
    } finally {
      await holder.end();
    }
  });
});
