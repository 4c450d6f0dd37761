import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { silentLogger } from '../../core/log';
import { migrate } from '../../db/migrate';
import { createTestDatabase, MIGRATIONS_DIR, type TestDatabase } from '../helpers/test-database';
import { createLogins, projectRoles } from '../helpers/logins';

// Every elt run starts with migrate. On an owner's database that is already current it
// is one check, with no transaction and no lock; anything that is not current (a
// migration or procedure file new or changed, a project role missing or lacking any
// grant elt.apply_grants() gives) takes the whole path, which applies and grants it.

const PROCEDURES_DIR = join(MIGRATIONS_DIR, '..', 'db', 'procedures');
let db: TestDatabase;
let roles: ReturnType<typeof projectRoles>;
const scratch = mkdtempSync(join(tmpdir(), 'elt-migrate-current-'));

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  roles = projectRoles(db.url);
});
afterAll(async () => {
  await db.drop();
  await createLogins().asAdmin(async (admin) => {
    for (const role of Object.values(roles)) await admin.query(`drop role if exists "${role}"`);
  });
  rmSync(scratch, { recursive: true, force: true });
});

/** The SQL every client of this process sends while `work` runs. */
async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const query = Client.prototype.query;
  const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    sent.push((typeof config === 'string' ? config : (config.text ?? '')).replace(/\s+/g, ' ').trim());
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as never);
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return sent;
}

const migrateHere = (options: { dir?: string; proceduresDir?: string } = {}) =>
  migrate(db.pool, { dir: options.dir ?? MIGRATIONS_DIR, proceduresDir: options.proceduresDir ?? PROCEDURES_DIR, log: silentLogger });

/** Whether the whole path ran: it takes the migrate lock in a transaction. */
const tookTheLock = (sent: string[]) => sent.includes('begin') && sent.some((text) => /elt\.locks/.test(text));

test("an owner's database already current costs two queries: no transaction, no lock, nothing applied", async () => {
  const sent = await statementsOf(async () => expect(await migrateHere()).toEqual({ applied: [], notices: [] }));
  expect(sent).toHaveLength(2);
  expect(tookTheLock(sent)).toBe(false);
});

test('a new migration file is applied (the check sees it pending)', async () => {
  const dir = join(scratch, 'migrations');
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  writeFileSync(join(dir, '9999_later.sql'), 'create table elt.later_table (id int);');
  const sent = await statementsOf(async () => expect((await migrateHere({ dir })).applied).toEqual(['9999_later.sql']));
  expect(tookTheLock(sent)).toBe(true);
  expect((await db.pool.query("select to_regclass('elt.later_table') is not null as made")).rows).toEqual([{ made: true }]);
  await db.pool.query('drop table elt.later_table');
  await db.pool.query("delete from elt.migrations where name = '9999_later.sql'");
});

test('a procedure file changed, or its recorded checksum tampered with, is applied again', async () => {
  const checksumOf = async () =>
    (await db.pool.query<{ checksum: string }>("select checksum from elt.procedures where name = 'role_name.sql'")).rows[0]?.checksum;
  const real = createHash('sha256')
    .update(readFileSync(join(PROCEDURES_DIR, 'role_name.sql'), 'utf8'))
    .digest('hex');
  const dir = join(scratch, 'procedures');
  cpSync(PROCEDURES_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'role_name.sql'), `${readFileSync(join(PROCEDURES_DIR, 'role_name.sql'), 'utf8')}\n-- changed since\n`);
  expect(tookTheLock(await statementsOf(() => migrateHere({ proceduresDir: dir })))).toBe(true);
  expect(await checksumOf()).not.toBe(real);
  expect(tookTheLock(await statementsOf(() => migrateHere()))).toBe(true); // back to the file as it reads now
  expect(await checksumOf()).toBe(real);
  await db.pool.query("update elt.procedures set checksum = 'tampered' where name = 'role_name.sql'");
  expect(tookTheLock(await statementsOf(() => migrateHere()))).toBe(true);
  expect(await checksumOf()).toBe(real);
  expect(await statementsOf(() => migrateHere())).toHaveLength(2);
});

test.each([
  [
    'the reader lost select on a mart-like table of elt_observe',
    (r: typeof roles) => `revoke select on all tables in schema elt_observe from "${r.reader}"`,
  ],
  ['the loader lost delete on the raw tables', (r: typeof roles) => `revoke delete on all tables in schema raw from "${r.loader}"`],
  ['the loader lost a raw sequence', (r: typeof roles) => `revoke usage on all sequences in schema raw from "${r.loader}"`],
  ['the analyst lost refresh_marts', (r: typeof roles) => `revoke execute on procedure elt.refresh_marts(text[]) from "${r.analyst}"`],
  ['the analyst lost usage on elt', (r: typeof roles) => `revoke usage on schema elt from "${r.analyst}"`],
  ['the reader lost connect', (r: typeof roles) => `revoke connect on database "${new URL(db.url).pathname.slice(1)}" from "${r.reader}"`],
])('a grant revoked since (%s) is given back by the next migrate', async (_case, revoke) => {
  await db.pool.query(revoke(roles));
  const sent = await statementsOf(() => migrateHere());
  expect(tookTheLock(sent)).toBe(true);
  expect(sent).toContain('select elt.apply_grants()');
  expect(await statementsOf(() => migrateHere())).toHaveLength(2);
});

test('a project role dropped and made again by a superuser (with no grants) gets them at the next migrate', async () => {
  await createLogins().asAdmin(async (admin) => {
    await admin.query(`drop owned by "${roles.reader}" cascade`).catch(() => undefined);
    const owned = new Client({ connectionString: db.url });
    await owned.connect();
    await owned.query(`drop owned by "${roles.reader}"`);
    await owned.end();
    await admin.query(`drop role "${roles.reader}"`);
    await admin.query(`create role "${roles.reader}" nologin`);
  });
  const sent = await statementsOf(() => migrateHere());
  expect(tookTheLock(sent)).toBe(true);
  const { rows } = await db.pool.query<{ may: boolean }>(
    `select has_schema_privilege($1, 'elt_observe', 'usage') and has_database_privilege($1, current_database(), 'connect') as may`,
    [roles.reader],
  );
  expect(rows).toEqual([{ may: true }]);
});
