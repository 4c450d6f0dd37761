import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentLockName, LOAD_LOCK_PREFIX, LOCKS, objectLockName, streamLockName } from '../../db/lock-names';

// The lock names have one home, db/lock-names.ts: TypeScript imports them, and the SQL
// that cannot (procedures, migrations) spells only names declared there.

const REPO = join(__dirname, '..', '..');
const DECLARED: string[] = Object.values(LOCKS);

/** Every `clickstream-elt:...` name in the SQL files of `folder`, with where it stands. */
function sqlLockNames(folder: string): { file: string; name: string }[] {
  return readdirSync(join(REPO, folder))
    .filter((file) => file.endsWith('.sql'))
    .flatMap((file) =>
      [...readFileSync(join(REPO, folder, file), 'utf8').matchAll(/clickstream-elt:[\w:%-]*/g)].map((match) => ({
        file: `${folder}/${file}`,
        name: match[0],
      })),
    );
}

test("every lock name in db/procedures/*.sql and migrations/*.sql is a declared one (or the load locks' pattern)", () => {
  const found = [...sqlLockNames('db/procedures'), ...sqlLockNames('migrations')];
  expect(found.map((entry) => entry.name)).toEqual(expect.arrayContaining([LOCKS.refresh, `${LOAD_LOCK_PREFIX}%`]));
  const undeclared = found.filter((entry) => !DECLARED.includes(entry.name) && entry.name !== `${LOAD_LOCK_PREFIX}%`);
  expect(undeclared).toEqual([]);
});

test('migration 0013 makes a row for each project-wide lock and lets the loader role take the load locks only', () => {
  const sql = readFileSync(join(REPO, 'migrations', '0013_project_roles_and_locks.sql'), 'utf8');
  const inserted = /insert into elt\.locks \(name\) values\s*([^;]*);/.exec(sql)?.[1] ?? '';
  expect([...inserted.matchAll(/'([^']*)'/g)].map((match) => match[1]).sort()).toEqual([...DECLARED].sort());
  expect(/create policy load_locks on elt\.locks\s+using \(name like '([^']*)'\)\s+with check \(name like '([^']*)'\);/.exec(sql)?.slice(1)).toEqual([
    `${LOAD_LOCK_PREFIX}%`,
    `${LOAD_LOCK_PREFIX}%`,
  ]);
  // the loader may take no project-wide lock: none of them is within its pattern
  expect(DECLARED.filter((name) => name.startsWith(LOAD_LOCK_PREFIX))).toEqual([]);
  expect(new Set(DECLARED).size).toBe(DECLARED.length);
});

test('no TypeScript outside db/lock-names.ts and tests/ spells a lock name: they import it', () => {
  const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: REPO, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && !file.startsWith('tests/') && file !== 'db/lock-names.ts');
  const spelled = sources.flatMap((file) =>
    readFileSync(join(REPO, file), 'utf8')
      .split('\n')
      .flatMap((line, index) => (/clickstream-elt:[a-z]/.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [])),
  );
  expect(spelled).toEqual([]);
});

test('the lock of an object, a content or a stream is a load lock, and no two kinds share a name', () => {
  const names = [
    objectLockName('file:///lake/2019-02-15.tsv'),
    objectLockName('s3://bucket/lake/2019-02-15.tsv.gz'),
    contentLockName(`sha256:${'0'.repeat(64)}`),
    streamLockName('nats:events@2024-01-01T00:00:00Z'),
  ];
  for (const name of names) expect(name.startsWith(LOAD_LOCK_PREFIX)).toBe(true);
  expect(new Set(names).size).toBe(names.length);
  // a URI that would read as another kind's name, or no URI at all, gets no object lock
  for (const uri of [
    'content:sha256:00',
    'content://x',
    'STREAM://nats:events@x',
    'stream:nats:events@x',
    'lake/x.tsv',
    '/lake/x.tsv',
    '',
    'file:x',
  ]) {
    expect(() => objectLockName(uri)).toThrow(/not an object URI/);
  }
});
