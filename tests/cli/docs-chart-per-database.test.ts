import { runInProcess } from '../helpers/run-in-process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChartModule } from '../../chart/load-chart';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { categoryDay } from '../chart/chart-fixture';
import { insertRawEvents } from '../helpers/raw-events';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

// The docs site draws its chart from the database it documents, when it is written: a
// chart left in the output folder by another database's `elt chart` is never copied in.

let demo: TestDatabase;
let bi: TestDatabase;
let outDir: string;

async function elt(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runInProcess(args, { ...process.env, DATABASE_URL: databaseUrl, ELT_DEBUG: '', ELT_OUTPUT_DIR: outDir });
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'elt-docs-chart-'));
  [demo, bi] = await Promise.all([createTestDatabase({ migrated: true }), createTestDatabase({ migrated: true })]);
  await insertRawEvents(demo.pool, [...categoryDay('news', '2019-02-15', 4, 2), ...categoryDay('news', '2019-02-16', 2, 1)]);
  await insertRawEvents(bi.pool, [...categoryDay('sport', '2019-03-01', 3, 3), ...categoryDay('tech', '2019-03-02', 5, 1)]);
  await buildModels(demo.pool, { dir: MODELS_DIR, log: silentLogger });
  await buildModels(bi.pool, { dir: MODELS_DIR, log: silentLogger });
}, 120_000);

afterAll(async () => {
  await Promise.all([demo.drop(), bi.drop()]);
  rmSync(outDir, { recursive: true, force: true });
});

test("elt docs on another database after elt chart on the demo one shows that database's chart, drawn from its own mart", async () => {
  // the demo database's chart, where elt docs used to take it from
  expect((await elt(['chart'], demo.url)).code).toBe(0);
  const demoPng = readFileSync(join(outDir, 'ctr_per_category.png'));
  const docs = await elt(['docs', '--no-tests', '--out', join(outDir, 'bi-docs')], bi.url);
  expect(docs.stderr).not.toMatch(/warn|error/);
  expect(docs.code).toBe(0);
  const site = readFileSync(join(outDir, 'bi-docs', 'ctr_per_category.png'));
  const drawn = await loadChartModule().drawCategoryCtrChart(bi.pool, {});
  expect(drawn.categories).toEqual(['tech', 'sport']);
  expect(site.equals(drawn.png)).toBe(true);
  expect(site.equals(demoPng)).toBe(false);
  // and the demo database's site shows the demo's
  await elt(['docs', '--no-tests', '--out', join(outDir, 'demo-docs')], demo.url);
  expect(
    readFileSync(join(outDir, 'demo-docs', 'ctr_per_category.png')).equals((await loadChartModule().drawCategoryCtrChart(demo.pool, {})).png),
  ).toBe(true);
});

test('a database whose chart mart is empty gets a site without a chart (said once), never an older chart left in the folder', async () => {
  const empty = await createTestDatabase({ migrated: true });
  try {
    await buildModels(empty.pool, { dir: MODELS_DIR, log: silentLogger });
    const site = join(outDir, 'empty-docs');
    // a chart of another database already in the site folder and in the output folder
    expect((await elt(['docs', '--no-tests', '--out', site], demo.url)).code).toBe(0);
    expect(existsSync(join(site, 'ctr_per_category.png'))).toBe(true);
    const docs = await elt(['docs', '--no-tests', '--out', site], empty.url);
    expect(docs.code).toBe(0);
    expect(docs.stderr.split('\n').filter((line) => /warn/.test(line))).toEqual([expect.stringMatching(/no chart: .*category_ctr_daily/)]);
    expect(existsSync(join(site, 'ctr_per_category.png'))).toBe(false);
    expect(readFileSync(join(site, 'index.html'), 'utf8')).toMatch(/No chart/);
  } finally {
    await empty.drop();
  }
});
