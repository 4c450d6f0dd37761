import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/compose-file';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase } from '../helpers/test-database';

const EXAMPLES = readdirSync(join(REPO_ROOT, 'examples'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

test('the examples are there', () => {
  expect(EXAMPLES).toEqual(['product-interactions', 'web-activity']);
});

// each example end to end, as its README says to run it: its committed sample,
// its models, its data tests (elt test runs those elt run leaves out)
test.each(EXAMPLES)(
  'elt run --project examples/%s builds every model and passes every data test, and a second run loads nothing',
  async (example) => {
    const db = await createTestDatabase();
    try {
      const env = { ...process.env, DATABASE_URL: db.url, ELT_OUTPUT_DIR: join(REPO_ROOT, 'out', 'examples', example) };
      const project = join('examples', example);
      const first = await runCli(['run', '--project', project], { env, cwd: REPO_ROOT });
      expect([first.code, first.stderr.match(/elt: error.*/g)]).toEqual([0, null]);
      expect(first.stdout).toMatch(/files: \d+ loaded, 0 skipped, 0 failed/);
      const tests = await runCli(['test', '--project', project], { env, cwd: REPO_ROOT });
      expect([tests.code, tests.stdout.match(/^FAIL.*/gm)]).toEqual([0, null]);
      const { rows } = await db.pool.query<{ relation: string }>(
        "select schemaname || '.' || matviewname as relation from pg_matviews where schemaname = 'marts' and not ispopulated",
      );
      expect(rows).toEqual([]);
      const second = await runCli(['run', '--project', project], { env, cwd: REPO_ROOT });
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/files: 0 loaded, \d+ skipped, 0 failed/);
    } finally {
      await db.drop();
    }
  },
  120_000,
);
