import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_HEIGHT, CHART_WIDTH } from '../../chart/category-ctr-spec';
import { PNG_SCALE } from '../../chart/rasterise-png';
import { renderCategoryCtrChart } from '../../chart/render-category-ctr-chart';
import { EltError, ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';
import { chartFixtureDatabase } from './chart-fixture';
import { decodePng, PNG_SIGNATURE, pngSize } from './png-image';

let db: TestDatabase;
beforeAll(async () => {
  db = await chartFixtureDatabase();
});
afterAll(() => db.drop());

const outDir = () => mkdtempSync(join(tmpdir(), 'elt-chart-'));

/** The text of every <text> element of the SVG: titles, axis labels, legend labels. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1] ?? '');
}

test('renders ctr_per_category.svg and .png: a PNG of the expected size that is not blank, every category and the date range in the SVG', async () => {
  const dir = outDir();
  const chart = await renderCategoryCtrChart(db.pool, { outDir: dir });
  expect(chart).toEqual({
    svgPath: join(dir, 'ctr_per_category.svg'),
    pngPath: join(dir, 'ctr_per_category.png'),
    categories: ['sport', 'news', 'tech', 'weather'],
    days: 3,
  });

  const png = readFileSync(chart.pngPath);
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(pngSize(png)).toEqual({ width: CHART_WIDTH * PNG_SCALE, height: CHART_HEIGHT * PNG_SCALE });
  expect(png.length).toBeGreaterThan(20_000);
  const image = decodePng(png);
  let inked = 0;
  const colours = new Set<number>();
  for (let at = 0; at < image.pixels.length; at += image.channels) {
    const [r = 0, g = 0, b = 0] = image.pixels.subarray(at, at + 3);
    if (r < 200 || g < 200 || b < 200) inked += 1;
    colours.add((r << 16) | (g << 8) | b);
  }
  expect(inked / (image.width * image.height)).toBeGreaterThan(0.005); // lines, text, axes
  expect(colours.size).toBeGreaterThan(20); // one colour per line, anti-aliased text

  const texts = svgTexts(readFileSync(chart.svgPath, 'utf8'));
  expect(texts).toEqual(expect.arrayContaining(['sport', 'news', 'tech', 'weather']));
  expect(texts).toContain('Click-through rate per category, 2019-02-15 to 2019-02-17');
  // the fixture's days have fewer than 100 displays each: all "too few", said in the legend
  expect(texts).toEqual(expect.arrayContaining(['CTR', 'fewer than 100 displays', 'no displays']));
});

/** The aria-label of every cell of the heat map. */
function cells(svg: string): string[] {
  return [...svg.matchAll(/aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="rect mark"/g)].map((match) => match[1] ?? '');
}

test('a day with NULL ctr (clicks, no displays) or without rows is "no displays", not 0%; --min-displays sets what is "too few"', async () => {
  const all = await renderCategoryCtrChart(db.pool, { outDir: outDir(), minDisplays: 1 });
  const svg = cells(readFileSync(all.svgPath, 'utf8'));
  expect(svg).toHaveLength(12);
  // news: 50% on the 15th (2 of 4), clicks without displays on the 16th
  expect(svg).toContain('news, 2019-02-15: 50.0% (4 displays)');
  expect(svg).toContain('news, 2019-02-16: no displays');
  expect(svg).toContain('weather, 2019-02-15: no displays');
  expect(svg).toContain('sport, 2019-02-17: 0.0% (2 displays)');

  const strict = await renderCategoryCtrChart(db.pool, { outDir: outDir(), minDisplays: 3 });
  const marked = cells(readFileSync(strict.svgPath, 'utf8'));
  expect(marked).toContain('news, 2019-02-15: 50.0% (4 displays)');
  expect(marked).toContain('sport, 2019-02-17: too few displays (2, fewer than 3)');
});

test('--top keeps only the N categories with most displays in the range', async () => {
  const chart = await renderCategoryCtrChart(db.pool, { outDir: outDir(), top: 2 });
  expect(chart.categories).toEqual(['sport', 'news']);
  const texts = svgTexts(readFileSync(chart.svgPath, 'utf8'));
  expect(texts).toEqual(expect.arrayContaining(['sport', 'news']));
  expect(texts).not.toContain('tech');
  expect(texts).not.toContain('weather');
});

test('--from/--to keep only the days in the range (inclusive), and the title says so', async () => {
  const chart = await renderCategoryCtrChart(db.pool, { outDir: outDir(), from: '2019-02-16', to: '2019-02-16' });
  expect(chart.days).toBe(1);
  // displays on the 16th: sport 4, tech 1, weather 1, news 0
  expect(chart.categories).toEqual(['sport', 'tech', 'weather', 'news']);
  expect(svgTexts(readFileSync(chart.svgPath, 'utf8'))).toContain('Click-through rate per category, 2019-02-16 to 2019-02-16');

  const late = await renderCategoryCtrChart(db.pool, { outDir: outDir(), from: '2019-02-16' });
  expect(late.days).toBe(2);
  expect(svgTexts(readFileSync(late.svgPath, 'utf8'))).toContain('Click-through rate per category, 2019-02-16 to 2019-02-17');
});

test('a range without rows, a bad day or --from after --to: a usage error (exit 2)', async () => {
  const attempt = (options: { from?: string; to?: string; top?: number; minDisplays?: number }) =>
    renderCategoryCtrChart(db.pool, { outDir: outDir(), ...options });
  await expect(attempt({ from: '2020-01-01' })).rejects.toThrow(/has no rows from 2020-01-01 to the last day/);
  await expect(attempt({ from: '2019-02-30' })).rejects.toThrow(/--from 2019-02-30 is not a day \(YYYY-MM-DD\)/);
  await expect(attempt({ to: '17/02/2019' })).rejects.toThrow(/--to 17\/02\/2019 is not a day/);
  await expect(attempt({ from: '2019-02-17', to: '2019-02-15' })).rejects.toThrow(/--from 2019-02-17 is after --to 2019-02-15/);
  await expect(attempt({ top: 0 })).rejects.toMatchObject({ exitCode: ExitCode.usage });
  for (const minDisplays of [0, -5, 2.5, Number.NaN, Infinity, 1e12]) {
    await expect(attempt({ minDisplays })).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: expect.stringMatching(/^--min-displays .* is not a whole number of displays from 1 to/),
    });
  }
  await expect(attempt({ from: '2020-01-01' })).rejects.toMatchObject({ exitCode: ExitCode.usage });
});

test('rendering a small chart takes well under 2 s', async () => {
  const started = performance.now();
  await renderCategoryCtrChart(db.pool, { outDir: outDir() });
  expect(performance.now() - started).toBeLessThan(2000);
});

describe('without data', () => {
  let bare: TestDatabase;
  beforeAll(async () => {
    bare = await createTestDatabase({ migrated: true });
  });
  afterAll(() => bare.drop());

  test('the mart not built yet: "run elt run first", exit 2', async () => {
    const failure = renderCategoryCtrChart(bare.pool, { outDir: outDir() });
    await expect(failure).rejects.toBeInstanceOf(EltError);
    await expect(failure).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: expect.stringMatching(/marts\.category_ctr_daily is not built yet .*run elt run first$/),
    });
  });

  test('the mart built but empty: "run elt run first", exit 2, no files written', async () => {
    await buildModels(bare.pool, { dir: MODELS_DIR, log: silentLogger });
    const dir = join(outDir(), 'chart');
    await expect(renderCategoryCtrChart(bare.pool, { outDir: dir })).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: 'marts.category_ctr_daily is empty: run elt run first',
    });
    expect(() => readFileSync(join(dir, 'ctr_per_category.png'))).toThrow(/ENOENT/);
  });
});
