import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProject } from '../../pipeline/project';
import { envWithout, runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');

/** A tiny project: NDJSON page views, one staging view and one mart. */
function writeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elt-project-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'models', 'staging'), { recursive: true });
  mkdirSync(join(dir, 'models', 'marts'), { recursive: true });
  writeFileSync(join(dir, 'elt.project.json'), JSON.stringify({ name: 'page_views', sources: [{ location: 'data/', format: 'ndjson' }] }));
  writeFileSync(
    join(dir, 'data', '2024-03-01.ndjson'),
    ['{"page":"/a","user":"u1"}', '{"page":"/a","user":"u2"}', '{"page":"/b","user":"u1"}', 'not json'].join('\n'),
  );
  writeFileSync(
    join(dir, 'models', 'staging', 'stg_page_views.sql'),
    [
      '-- grain: one row per page view',
      '-- materialized: view',
      'with',
      'final as (',
      "    select event ->> 'page' as page, event ->> 'user' as user_id from raw.raw_events",
      ')',
      'select * from final',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'models', 'marts', 'page_counts.sql'),
    [
      '-- grain: one row per page',
      '-- materialized: materialized_view',
      '-- unique_key: page',
      'with',
      'final as (',
      '    select page, count(*) as views from staging.stg_page_views group by page',
      ')',
      'select * from final',
    ].join('\n'),
  );
  return dir;
}

test('elt run --project runs another pipeline: its sources in their format, its models', async () => {
  const db: TestDatabase = await createTestDatabase();
  try {
    const result = await runCli(['run', '--project', writeProject(), '--max-reject-ratio', '0.5'], { env: { ...process.env, DATABASE_URL: db.url } });
    expect(result.stderr).not.toMatch(/elt: error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/1 files: 1 loaded, 0 skipped, 0 failed; 3 rows, 1 rejected/);
    expect((await db.pool.query('select page, views::int from marts.page_counts order by page')).rows).toEqual([
      { page: '/a', views: 2 },
      { page: '/b', views: 1 },
    ]);
    // the clickstream pipeline must not run on this database: its models would replace these
    const clash = await runCli(['run', '--source', SAMPLE], { env: { ...process.env, DATABASE_URL: db.url } });
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/elt: error: this database holds the project "page_views"; run "clickstream" on a database of its own/);
    expect((await db.pool.query('select count(*)::int as n from marts.page_counts')).rows).toEqual([{ n: 2 }]);
  } finally {
    await db.drop();
  }
});

test('with the embedded default, each project gets a database of its own in the same server', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'elt-projects-embedded-'));
  chmodSync(cwd, 0o755);
  const env = envWithout('DATABASE_URL');
  const projectDir = writeProject();
  const project = await runCli(['run', '--project', projectDir, '--max-reject-ratio', '0.5'], { env, cwd });
  expect(project.code).toBe(0);
  expect(project.stderr).toMatch(/created the database page_views in the embedded Postgres/);
  const clickstream = await runCli(['run', '--source', SAMPLE], { env, cwd });
  expect(clickstream.code).toBe(0);
  expect(clickstream.stdout).toMatch(/marts\.article_performance\s+27 rows/);
  // the project's tables are still there, in its own database
  const query = await runCli(['query', 'select count(*) as pages from marts.page_counts', '--csv', '--project', projectDir], { env, cwd });
  expect(query.stdout).toBe('pages\n2\n');
}, 120_000);

test('a project config names its problem: a bad name, no sources, an unknown format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'elt-project-bad-'));
  const config = (value: unknown) => writeFileSync(join(dir, 'elt.project.json'), JSON.stringify(value));
  config({ name: 'Bad Name', sources: [{ location: 'x', format: 'csv' }] });
  expect(() => readProject(dir)).toThrow(/"name" must be a lower-case identifier/);
  config({ name: 'ok', sources: [] });
  expect(() => readProject(dir)).toThrow(/"sources" must list at least one/);
  config({ name: 'ok', sources: [{ location: 'x', format: 'xml' }] });
  expect(() => readProject(dir)).toThrow(/sources\[0\]\.format must be tsv-lake, csv or ndjson/);
  expect(() => readProject(join(dir, 'nowhere'))).toThrow(/no project at .*elt\.project\.json does not exist/);
});
