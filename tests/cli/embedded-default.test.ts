import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envWithout, runCli } from '../helpers/run-cli';

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');

test('without DATABASE_URL the CLI runs on an embedded Postgres in ./.elt that keeps its data for the next run', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'elt-embedded-'));
  chmodSync(cwd, 0o755); // the server runs as user "postgres" when tests run as root
  const env = envWithout('DATABASE_URL');
  const first = await runCli(['run', '--source', SAMPLE], { env, cwd });
  expect(first.stderr).toMatch(/embedded Postgres started on port \d+/);
  expect(first.code).toBe(0);
  expect(existsSync(join(cwd, '.elt', 'pgdata', 'PG_VERSION'))).toBe(true);
  // stopped cleanly at exit: no server left running on the data dir
  expect(existsSync(join(cwd, '.elt', 'pgdata', 'postmaster.pid'))).toBe(false);

  const second = await runCli(['run', '--source', SAMPLE], { env, cwd });
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/1 files: 0 loaded, 1 skipped/);
  expect(second.stdout).toMatch(/marts\.article_performance\s+27 rows/);
}, 120_000);
