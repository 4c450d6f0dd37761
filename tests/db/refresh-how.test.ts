import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFRESH_HOWS } from '../../db/refresh-how';

// The values of elt.refresh_log.how have one home, db/refresh-how.ts (a union type):
// the SQL that cannot import it (the column's check, the procedures that log) says the same.

const REPO = join(__dirname, '..', '..');
const sqlFiles = (folder: string) =>
  readdirSync(join(REPO, folder))
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => ({ file: `${folder}/${file}`, text: readFileSync(join(REPO, folder, file), 'utf8') }));
const quoted = (text: string) => [...text.matchAll(/'([^']*)'/g)].map((match) => match[1] as string);

test("the check of elt.refresh_log.how (its last definition in migrations/) admits exactly the union's values", () => {
  const checks = sqlFiles('migrations').flatMap(({ text }) => [...text.matchAll(/check \(how in \(([^)]*)\)\)/g)].map((match) => match[1] as string));
  expect(checks.length).toBeGreaterThan(0);
  expect(quoted(checks[checks.length - 1] as string).sort()).toEqual([...REFRESH_HOWS].sort());
});

test("every how the procedures log into elt.refresh_log is one of the union's, and each is logged by the SQL or by elt build", () => {
  const inserts = sqlFiles('db/procedures').flatMap(({ file, text }) =>
    [...text.matchAll(/insert into elt\.refresh_log \(model, duration_ms, how\)([^;]*);/g)].map((match) => ({
      file,
      values: quoted(match[1] as string),
    })),
  );
  expect(inserts.map((insert) => insert.file).sort()).toEqual(['db/procedures/apply_increments.sql', 'db/procedures/refresh_marts.sql']);
  const logged = inserts.flatMap((insert) => insert.values);
  expect(logged.filter((how) => !(REFRESH_HOWS as readonly string[]).includes(how))).toEqual([]);
  // 'built' is also elt build's (transform/build-models.ts, through the type)
  expect([...new Set([...logged, 'built'])].sort()).toEqual([...REFRESH_HOWS].sort());
});

test('no TypeScript spells a how in its SQL on elt.refresh_log: it passes values of the union type', () => {
  const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: REPO, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && !file.startsWith('tests/'));
  const literal = new RegExp(`'(${REFRESH_HOWS.join('|')})'`);
  const spelled = sources.flatMap((file) =>
    readFileSync(join(REPO, file), 'utf8')
      .split('\n')
      .flatMap((line, index) => (line.includes('refresh_log') && literal.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [])),
  );
  expect(spelled).toEqual([]);
});
