import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectDocs } from '../../observe/docs-site/select-docs';
import type { DocsData, DocsModel } from '../../observe/docs-site/read-docs';
import { runInProcess } from '../helpers/run-in-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// elt docs takes dbt's --select / --exclude as build, test and lineage do: the site documents the selected models only.

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');

const model = (name: string, upstream: string[], downstream: string[]): DocsModel => ({
  name,
  layer: name.split('.')[0] as string,
  materialized: 'view',
  grain: '',
  key: [],
  description: '',
  built: true,
  columns: [],
  sql: '',
  path: '',
  upstream,
  downstream,
});

test('selectDocs keeps the selected models, the edges into them, their tests, and links only to models the site holds', () => {
  const data: DocsData = {
    generatedAt: 'now',
    models: [model('staging.a', [], ['marts.b']), model('marts.b', ['staging.a'], ['marts.c']), model('marts.c', ['marts.b'], [])],
    edges: [
      { source: 'raw.raw_events', model: 'staging.a' },
      { source: 'staging.a', model: 'marts.b' },
      { source: 'marts.b', model: 'marts.c' },
    ],
    tests: [
      { name: 't1', model: 'marts.b', description: '', passed: true, failures: 0, ranAt: 'now', ms: 1 },
      { name: 't2', model: 'marts.c', description: '', passed: true, failures: 0, ranAt: 'now', ms: 1 },
    ],
    freshness: { sources: [] } as unknown as DocsData['freshness'],
  };
  const selected = selectDocs(data, new Set(['marts.b', 'marts.c']));
  expect(selected.models.map((m) => [m.name, m.upstream, m.downstream])).toEqual([
    ['marts.b', [], ['marts.c']],
    ['marts.c', ['marts.b'], []],
  ]);
  expect(selected.edges).toEqual([
    { source: 'staging.a', model: 'marts.b' },
    { source: 'marts.b', model: 'marts.c' },
  ]);
  expect(selected.tests?.map((t) => t.name)).toEqual(['t1', 't2']);
  expect(selectDocs({ ...data, tests: null }, new Set(['marts.b'])).tests).toBeNull();
});

describe('elt docs --select', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    const out = mkdtempSync(join(tmpdir(), 'elt-docs-select-'));
    expect((await runInProcess(['run', '--source', SAMPLE, '--output-dir', out], { ...process.env, DATABASE_URL: db.url })).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await db.drop();
  });

  test('documents only the selected models; a bad selector is exit 2 in one line, before the database is opened', async () => {
    const out = mkdtempSync(join(tmpdir(), 'elt-docs-select-'));
    const env = { ...process.env, DATABASE_URL: db.url };
    const result = await runInProcess(
      ['docs', '--no-tests', '--out', out, '--select', '+marts.article_performance', '--exclude', 'staging.stg_events'],
      env,
    );
    expect(result.code).toBe(0);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('marts.article_performance');
    expect(html).toContain('intermediate.int_article_days_by_load');
    expect(html).not.toContain('marts.user_performance');
    expect(html).not.toContain('intermediate.int_sessions');
    const bad = await runInProcess(['docs', '--no-tests', '--out', out, '--select', 'tag:daily'], {
      ...env,
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^elt: error: .*tag:daily.*not supported/)]);
  }, 60_000);
});
