import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderCategoryCtrChart } from '../../chart/render-category-ctr-chart';
import { silentLogger } from '../../core/log';
import { outputStep } from '../../pipeline/steps';
import { CLICKSTREAM_OUTPUTS } from '../../pipeline/project-outputs';
import { refreshMarts } from '../../transform/refresh-marts';
import { categoryDay, chartFixtureDatabase } from '../chart/chart-fixture';
import { isRoot, NOBODY } from '../helpers/planted-files';
import { insertRawEvents } from '../helpers/raw-events';
import { recorder } from '../helpers/recording-log';
import { MODELS_DIR, type TestDatabase } from '../helpers/test-database';

// A run redraws an output (the chart, the docs site) only when what it shows changed:
// a run with nothing new leaves the files as they are (same inode: writeFileAtomic
// always makes a new one), a new day redraws them, and an output that is not as the
// last run left it (deleted, edited, a link, another account's) is drawn again.

let db: TestDatabase;
beforeAll(async () => {
  db = await chartFixtureDatabase();
});
afterAll(() => db.drop());

const CHART_FILES = ['ctr_per_category.svg', 'ctr_per_category.png'];
const SITE_FILES = [join('docs', 'index.html'), join('docs', 'ctr_per_category.png')];
const ALL_FILES = [...CHART_FILES, ...SITE_FILES];

interface Outputs {
  dir: string;
  lines: string[];
  /** what summary.json says of each output */
  statuses: Record<string, string>;
}

async function run(dir: string): Promise<Outputs> {
  const { log, lines } = recorder();
  await outputStep(db.pool, { totalMs: 1 }, { outputDir: dir, outputs: CLICKSTREAM_OUTPUTS, modelsDir: MODELS_DIR }, log);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { outputs?: { output: string; status: string }[] };
  const statuses = Object.fromEntries((summary.outputs ?? []).map((output) => [output.output, output.status]));
  return { dir, lines, statuses };
}

const inodes = (dir: string, files = ALL_FILES) => Object.fromEntries(files.map((file) => [file, lstatSync(join(dir, file)).ino]));

/** A folder where a run has drawn every output once. */
async function drawnOnce(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'elt-outputs-unchanged-'));
  const first = await run(dir);
  for (const file of ALL_FILES) expect([file, existsSync(join(dir, file))]).toEqual([file, true]);
  expect(first.lines.filter((line) => line.startsWith('warn'))).toEqual([]);
  return dir;
}

test('a run with nothing new rewrites neither the chart (SVG, PNG) nor the docs site (index.html, its PNG); the log and summary.json say "unchanged"', async () => {
  const dir = await drawnOnce();
  const before = inodes(dir);
  const mtimes = ALL_FILES.map((file) => lstatSync(join(dir, file)).mtimeMs);
  const again = await run(dir);
  expect(inodes(dir)).toEqual(before);
  expect(ALL_FILES.map((file) => lstatSync(join(dir, file)).mtimeMs)).toEqual(mtimes);
  expect(again.lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^info chart unchanged: .*ctr_per_category\.png/),
      expect.stringMatching(/^info docs site unchanged: .*index\.html/),
    ]),
  );
  expect(again.statuses).toEqual({ 'category-ctr-chart': 'unchanged', docs: 'unchanged' });
});

test('a run after a new day redraws the chart and the site, and what they show includes the day', async () => {
  const dir = await drawnOnce();
  const before = inodes(dir);
  await insertRawEvents(db.pool, [...categoryDay('news', '2019-02-18', 40, 5), ...categoryDay('sport', '2019-02-18', 30, 3)]);
  await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
  const after = await run(dir);
  for (const file of ALL_FILES) expect([file, lstatSync(join(dir, file)).ino]).not.toEqual([file, before[file]]);
  expect(after.statuses).toEqual({ 'category-ctr-chart': 'drawn', docs: 'drawn' });
  expect(readFileSync(join(dir, 'ctr_per_category.svg'), 'utf8')).toContain('news, 2019-02-18: too few displays (40, fewer than 100)');
  expect(readFileSync(join(dir, 'docs', 'ctr_per_category.png'))).toEqual(readFileSync(join(dir, 'ctr_per_category.png')));
});

describe('an output not as the last run left it is drawn again', () => {
  // each file written anew (a new inode: writeFileAtomic), a regular file of ours with one name,
  // holding what a run draws (the PNG's pixels are the same; the SVG's and the page's ids and times may differ)
  const redrawnAfter = async (change: (dir: string) => void, files: string[], output: string) => {
    const dir = await drawnOnce();
    const before = inodes(dir, files);
    const png = readFileSync(join(dir, 'ctr_per_category.png'));
    change(dir);
    const after = await run(dir);
    expect(after.statuses[output]).toBe('drawn');
    for (const file of files) {
      const stats = lstatSync(join(dir, file));
      expect([file, stats.isFile(), stats.uid, stats.nlink, stats.mode & 0o022]).toEqual([file, true, process.geteuid?.(), 1, 0]);
      expect([file, stats.ino]).not.toEqual([file, before[file]]);
      const bytes = readFileSync(join(dir, file));
      if (file.endsWith('.png')) expect([file, bytes.equals(png)]).toEqual([file, true]);
      else expect(bytes.toString('utf8')).not.toMatch(/Click-THROUGH|defaced/);
    }
    return after;
  };

  test('the PNG deleted', () => redrawnAfter((dir) => unlinkSync(join(dir, 'ctr_per_category.png')), CHART_FILES, 'category-ctr-chart'));

  test('the SVG edited, its size and mtime kept', () =>
    redrawnAfter(
      (dir) => {
        const svg = join(dir, 'ctr_per_category.svg');
        const { atime, mtime } = lstatSync(svg);
        const text = readFileSync(svg, 'utf8');
        writeFileSync(svg, text.replace('Click-through', 'Click-THROUGH'));
        utimesSync(svg, atime, mtime);
      },
      CHART_FILES,
      'category-ctr-chart',
    ));

  test('the PNG replaced by a symbolic link to a copy of the same bytes (the link is replaced, not followed)', () =>
    redrawnAfter(
      (dir) => {
        const png = join(dir, 'ctr_per_category.png');
        const copy = join(mkdtempSync(join(tmpdir(), 'elt-elsewhere-')), 'copy.png');
        copyFileSync(png, copy);
        rmSync(png);
        symlinkSync(copy, png);
      },
      CHART_FILES,
      'category-ctr-chart',
    ));

  test('the PNG hard-linked from another name', () =>
    redrawnAfter(
      (dir) => {
        const png = join(dir, 'ctr_per_category.png');
        const other = join(dir, 'another-name.png');
        copyFileSync(png, other);
        rmSync(png);
        linkSync(other, png);
      },
      CHART_FILES,
      'category-ctr-chart',
    ));

  test('the PNG made writable by any account', () =>
    redrawnAfter((dir) => chmodSync(join(dir, 'ctr_per_category.png'), 0o666), CHART_FILES, 'category-ctr-chart'));

  (isRoot ? test : test.skip)('the PNG and the site given to another account (same bytes)', async () => {
    await redrawnAfter((dir) => chownSync(join(dir, 'ctr_per_category.png'), NOBODY, NOBODY), CHART_FILES, 'category-ctr-chart');
    await redrawnAfter((dir) => chownSync(join(dir, 'docs', 'index.html'), NOBODY, NOBODY), SITE_FILES, 'docs');
  });

  test('the site edited', () => redrawnAfter((dir) => writeFileSync(join(dir, 'docs', 'index.html'), 'defaced'), SITE_FILES, 'docs'));

  test('the site deleted', () => redrawnAfter((dir) => rmSync(join(dir, 'docs', 'index.html')), SITE_FILES, 'docs'));

  test.each([
    ['garbage', (path: string) => writeFileSync(path, '{"inputs": ')],
    ['valid JSON of another shape', (path: string) => writeFileSync(path, '{"inputs": 1, "files": ["a"]}')],
    ['larger than any fingerprint (64 MiB)', (path: string) => writeFileSync(path, Buffer.alloc(64 * 1024 * 1024, 32))],
    [
      'a FIFO',
      (path: string) => {
        rmSync(path);
        execFileSync('mkfifo', [path]);
      },
    ],
  ])('the fingerprints beside the outputs replaced by %s: drawn again, no error', async (_case, plant) => {
    const dir = await drawnOnce();
    const sidecars = [join(dir, '.ctr_per_category.fingerprint.json'), join(dir, 'docs', '.index.fingerprint.json')];
    for (const sidecar of sidecars) expect(existsSync(sidecar)).toBe(true);
    for (const sidecar of sidecars) plant(sidecar);
    const after = await run(dir);
    expect(after.lines.filter((line) => line.startsWith('warn'))).toEqual([]);
    expect(after.statuses).toEqual({ 'category-ctr-chart': 'drawn', docs: 'drawn' });
    expect((await run(dir)).statuses).toEqual({ 'category-ctr-chart': 'unchanged', docs: 'unchanged' });
  });
});

test('an output folder any account may write to is refused as before: no chart read or written, a warning', async () => {
  const dir = await drawnOnce();
  const before = inodes(dir, CHART_FILES);
  chmodSync(dir, 0o777);
  const { log, lines } = recorder();
  try {
    await outputStep(db.pool, { totalMs: 1 }, { outputDir: dir, outputs: CLICKSTREAM_OUTPUTS, modelsDir: MODELS_DIR }, log);
  } finally {
    chmodSync(dir, 0o755);
  }
  expect(lines.filter((line) => /^warn no chart: refusing .*writable by any account/.test(line))).toHaveLength(1);
  expect(lines.filter((line) => /chart unchanged/.test(line))).toEqual([]);
  expect(inodes(dir, CHART_FILES)).toEqual(before);
});

test('elt chart with other options draws again (the threshold is part of what the chart shows); the same options leave it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elt-chart-options-'));
  const first = await renderCategoryCtrChart(db.pool, { outDir: dir });
  expect(first.unchanged).toBeUndefined();
  const same = await renderCategoryCtrChart(db.pool, { outDir: dir });
  expect(same).toEqual({ ...first, unchanged: true });
  const before = inodes(dir, CHART_FILES);
  expect((await renderCategoryCtrChart(db.pool, { outDir: dir, minDisplays: 1 })).unchanged).toBeUndefined();
  expect(inodes(dir, CHART_FILES)).not.toEqual(before);
  expect(readFileSync(join(dir, 'ctr_per_category.svg'), 'utf8')).toContain('news, 2019-02-15: 50.0% (4 displays)');
  expect((await renderCategoryCtrChart(db.pool, { outDir: dir, top: 2 })).unchanged).toBeUndefined();
});
