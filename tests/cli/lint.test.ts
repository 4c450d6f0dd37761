import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { runCli } from '../helpers/run-cli';

const ROOT = join(__dirname, '..', '..');

// elt lint needs no database: none is given, and none is started (no .elt/ in its folder)
const env = { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

test('elt lint <folders>: every model in house style exits 0 with one summary line on stdout', async () => {
  const result = await runCli(['lint', 'models', 'examples/web-activity/models'], { env, cwd: ROOT });
  expect(result.stderr).toBe('');
  expect(result.stdout).toMatch(/^lint: \d+ files in 2 folders, no problem\n$/);
  expect(result.code).toBe(ExitCode.ok);
});

test('elt lint --project <dir> lints that project\'s models; a problem is a line "file: line N: message" on stdout, exit 5', async () => {
  const project = mkdtempSync(join(tmpdir(), 'elt-lint-cli-'));
  mkdirSync(join(project, 'models', 'marts'), { recursive: true });
  writeFileSync(join(project, 'elt.project.json'), JSON.stringify({ name: 'lint_check', sources: [{ location: 'data/', format: 'ndjson' }] }));
  writeFileSync(join(project, 'models', 'marts', 'bad.sql'), '-- grain: one row\nwith final as (select 1 as n)\nSELECT * from final');
  const result = await runCli(['lint', '--project', project], { env, cwd: project });
  expect(result.stdout).toBe(
    [
      'models/marts/bad.sql: line 3: keyword "SELECT" should be lower case',
      'models/marts/bad.sql: last line: a model ends with "select * from final"',
      'models/marts/bad.sql: line 1: column "n" has no description (add "-- column n: what it means" to the header)',
      'lint: 3 problems in 1 of 1 file (1 folder)',
      '',
    ].join('\n'),
  );
  expect(result.code).toBe(ExitCode.modelFailed);
});

test('elt lint <a folder that does not exist>: one error line on stderr, exit 2', async () => {
  const result = await runCli(['lint', 'models', 'no-such-models'], { env, cwd: ROOT });
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/models folder no-such-models does not exist/);
  expect(result.code).toBe(ExitCode.usage);
});
