import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { readLineage, type LineageEdge } from '../../observe/lineage';
import { readDataTests } from '../../transform/data-tests';
import { readModels } from '../../transform/model-catalog';
import { REPO_ROOT } from '../helpers/compose-file';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

// elt docs after a run of the sample lake: the site is one index.html (plus the chart)
// that needs nothing but the disk, checked as text, then in a real headless browser.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

let db: TestDatabase;
let dir: string;
let index: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'elt-docs-'));
  const env = { ...process.env, DATABASE_URL: db.url, ELT_OUTPUT_DIR: join(dir, 'run') };
  const run = await runCli(['run', '--source', join(REPO_ROOT, 'tests', 'fixtures', 'lake-sample')], { env });
  expect([run.code, run.stderr.includes('elt: error')]).toEqual([0, false]);
  const docs = await runCli(['docs', '--out', join(dir, 'site')], { env });
  expect([docs.code, docs.stderr]).toEqual([0, expect.stringContaining('documented')]);
  index = docs.stdout.trim();
}, 120_000);
afterAll(() => db.drop());

test('elt docs writes index.html and the chart into --out, and prints the page path', () => {
  expect(index).toBe(join(dir, 'site', 'index.html'));
  expect(readFileSync(join(dir, 'site', 'ctr_per_category.png'))).toEqual(readFileSync(join(dir, 'run', 'ctr_per_category.png')));
});

test('the page names no URL to fetch: no http(s), no protocol-relative link, nothing loaded but the chart beside it', () => {
  const html = readFileSync(index, 'utf8');
  expect(html).not.toMatch(/https?:/i);
  expect(html).not.toMatch(/(?:src|href)\s*=\s*["']?\/\//i);
  expect([...html.matchAll(/\bsrc\s*=\s*"([^"]*)"/g)].map((match) => match[1])).toEqual(['ctr_per_category.png']);
  expect(html).not.toMatch(/<link\b|@import|url\((?!#)/i);
});

test('the page documents every model, its columns (with their types) and the data tests with their results', async () => {
  const html = readFileSync(index, 'utf8');
  const searchIndex = JSON.parse(/<script type="application\/json" id="search-index">([^]*?)<\/script>/.exec(html)?.[1] ?? 'null') as {
    kind: string;
    label: string;
    note: string;
  }[];
  const models = readModels(MODELS_DIR);
  expect(searchIndex.filter((entry) => entry.kind === 'model').map((entry) => entry.label)).toEqual(models.map((model) => model.name));
  const { rows: columns } = await db.pool.query<{ label: string; type: string }>(
    `select n.nspname || '.' || c.relname || '.' || a.attname as label, format_type(a.atttypid, a.atttypmod) as type
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname || '.' || c.relname = any($1) and a.attnum > 0 and not a.attisdropped
      order by label`,
    [models.map((model) => model.name)],
  );
  const indexed = searchIndex.filter((entry) => entry.kind === 'column').map((entry) => ({ label: entry.label, type: entry.note }));
  expect(indexed.sort((a, b) => a.label.localeCompare(b.label))).toEqual(columns.sort((a, b) => a.label.localeCompare(b.label)));
  expect(html).toContain('data-view="tests"');
  const testsView = /<section data-view="tests"[^]*?<\/section>/.exec(html)?.[0] ?? '';
  expect([...testsView.matchAll(/<tr><td><code>([^<]*)<\/code>/g)].map((match) => match[1])).toEqual(
    readDataTests(MODELS_DIR).map((test) => test.name),
  );
  expect(testsView).toMatch(
    /marts_reconcile_with_staging<\/code><\/td><td>[^<]*<\/td><td>[^<]*<\/td><td><span class="badge pass">PASS<\/span><\/td><td>\d{4}-\d\d-\d\dT/,
  );
  expect(html).toContain('<code>file://');
});

const withBrowser = existsSync(CHROMIUM) ? test : test.skip;
if (!existsSync(CHROMIUM)) {
  process.stderr.write(`docs-site browser test skipped: ${CHROMIUM} not found (apt-get install chromium; .ci/run installs it)\n`);
}

withBrowser(
  'in headless Chromium, from disk: search finds a model and a column, the model shows its columns and lineage graph, and nothing but file:// is requested',
  async () => {
    const profile = mkdtempSync(join(tmpdir(), 'elt-chromium-'));
    const context: BrowserContext = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const requested: string[] = [];
    context.on('request', (request) => requested.push(request.url()));
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(pathToFileURL(index).href);
      await page.locator('section[data-view="overview"] svg.lineage').waitFor();

      // a model, through the search box
      await page.fill('#search', 'user_perf');
      const hit = page.locator('#search-results a', { hasText: /^marts\.user_performance/ }).first();
      await hit.waitFor();
      await hit.click();
      const section = page.locator('section[data-view="model/marts.user_performance"]');
      await section.waitFor({ state: 'visible' });
      expect(await page.locator('main > section:visible').count()).toBe(1);
      expect(await section.locator('h2').textContent()).toBe('marts.user_performance');

      const model = readModels(MODELS_DIR).find((candidate) => candidate.name === 'marts.user_performance');
      const { rows: columns } = await db.pool.query<{ name: string }>(
        "select attname as name from pg_attribute where attrelid = 'marts.user_performance'::regclass and attnum > 0 and not attisdropped order by attnum",
      );
      const rows = await section
        .locator('table.columns tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children, (td) => td.textContent)),
        );
      expect(rows.map((row) => row[0])).toEqual(columns.map((column) => column.name));
      for (const described of model?.columns ?? []) expect(rows.find((row) => row[0] === described.name)?.[2]).toBe(described.description);
      expect(rows.every((row) => (row[1] ?? '').length > 0)).toBe(true);

      const graph = section.locator('svg.lineage');
      expect(await graph.isVisible()).toBe(true);
      const nodes = await graph.locator('[data-node]').evaluateAll((elements) => elements.map((element) => element.getAttribute('data-node')));
      expect(nodes).toEqual(
        expect.arrayContaining([
          'marts.user_performance',
          'intermediate.int_sessions',
          'intermediate.int_events',
          'staging.stg_events',
          'raw.raw_events',
        ]),
      );
      expect(nodes).not.toContain('marts.article_performance');
      expect(await graph.locator('path.edge').count()).toBeGreaterThan(3);
      expect(await graph.locator('rect.focus').count()).toBe(1);

      mkdirSync(join(REPO_ROOT, 'out'), { recursive: true });
      await page.screenshot({ path: join(REPO_ROOT, 'out', 'docs-site-model.png'), fullPage: true });

      // a column, through the search box: its row is highlighted on its model's page
      await page.fill('#search', 'avg_session');
      await page.locator('#search-results a', { hasText: 'marts.user_performance.avg_session_length_seconds' }).click();
      await page.locator('tr.highlight').waitFor();
      expect(await page.locator('tr.highlight td').first().textContent()).toBe('avg_session_length_seconds');

      // a lineage box: the first click highlights its lineage, the second leads to that model's page
      await graph.locator('a[data-node="intermediate.int_sessions"]').click();
      await graph.locator('a[data-node="intermediate.int_sessions"].selected').waitFor();
      await graph.locator('a[data-node="intermediate.int_sessions"]').click();
      await page.locator('section[data-view="model/intermediate.int_sessions"]').waitFor({ state: 'visible' });

      // the chart copied beside the page renders
      await page.click('nav a[href="#chart"]');
      await page.locator('img.chart').waitFor({ state: 'visible' });
      expect(
        await page
          .locator('img.chart')
          .evaluate(
            (img) =>
              (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth,
          ),
      ).toBe(1920);
      await page.click('nav a[href="#sources"]');
      expect(await page.locator('section[data-view="sources"] td .badge').first().textContent()).toBe('FRESH');
      await page.screenshot({ path: join(REPO_ROOT, 'out', 'docs-site-sources.png') });

      expect(pageErrors).toEqual([]);
      expect(requested.length).toBeGreaterThan(0);
      expect(requested.filter((url) => !url.startsWith('file://'))).toEqual([]);
    } finally {
      await context.close();
    }
  },
  60_000,
);

/** What a rendered lineage graph shows: each box where it is drawn and its label's extent, each edge, what is highlighted. */
interface DrawnGraph {
  nodes: {
    name: string;
    box: { x: number; y: number; width: number; height: number };
    label: { x: number; y: number; width: number; height: number };
    on: boolean;
  }[];
  edges: { source: string; model: string; on: boolean }[];
}

async function drawnGraph(graph: import('playwright-core').Locator): Promise<DrawnGraph> {
  return graph.evaluate((svg) => {
    type Box = { x: number; y: number; width: number; height: number };
    type Shape = { getBBox(): Box; getAttribute(name: string): string | null; classList: { contains(name: string): boolean } };
    type Holder = Shape & { querySelector(selector: string): Shape | null; querySelectorAll(selector: string): ArrayLike<Shape & Holder> };
    const box = (shape: Shape | null): Box => {
      const b = shape?.getBBox() ?? { x: NaN, y: NaN, width: NaN, height: NaN };
      return { x: b.x, y: b.y, width: b.width, height: b.height };
    };
    const root = svg as unknown as Holder;
    return {
      nodes: Array.from(root.querySelectorAll('[data-node]'), (node) => ({
        name: node.getAttribute('data-node') ?? '',
        box: box(node.querySelector('rect')),
        label: box(node.querySelector('text')),
        on: node.classList.contains('on'),
      })),
      edges: Array.from(root.querySelectorAll('path.edge'), (edge) => ({
        source: edge.getAttribute('data-source') ?? '',
        model: edge.getAttribute('data-model') ?? '',
        on: edge.classList.contains('on'),
      })),
    };
  });
}

/** `start` and every relation upstream of it (what it reads, transitively), and `start` and every one downstream (what reads it). */
function lineageOf(edges: LineageEdge[], start: string): { up: Set<string>; down: Set<string> } {
  const walk = (from: 'source' | 'model', to: 'source' | 'model'): Set<string> => {
    const seen = new Set([start]);
    for (let grew = true; grew;) {
      grew = false;
      for (const edge of edges)
        if (seen.has(edge[from]) && !seen.has(edge[to])) {
          seen.add(edge[to]);
          grew = true;
        }
    }
    return seen;
  };
  return { up: walk('model', 'source'), down: walk('source', 'model') };
}

withBrowser(
  'in headless Chromium, the lineage graph is laid out in layers (no edge points backwards), every label fits its box, a click highlights upstream and downstream, and at 420 px the page does not overflow',
  async () => {
    const edges = await readLineage(db.pool);
    const profile = mkdtempSync(join(tmpdir(), 'elt-chromium-'));
    const context: BrowserContext = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(pathToFileURL(index).href);
      const overview = page.locator('section[data-view="overview"] svg.lineage');
      await overview.waitFor();

      const drawn = await drawnGraph(overview);
      expect(drawn.nodes.map((node) => node.name).sort()).toEqual([...new Set(edges.flatMap((edge) => [edge.source, edge.model]))].sort());
      expect(drawn.edges.map((edge) => `${edge.source} -> ${edge.model}`).sort()).toEqual(
        edges.map((edge) => `${edge.source} -> ${edge.model}`).sort(),
      );
      const boxOf = new Map(drawn.nodes.map((node) => [node.name, node.box]));
      // every edge runs left to right, from a box wholly left of the box it leads to
      const backwards = edges.filter((edge) => {
        const from = boxOf.get(edge.source);
        const to = boxOf.get(edge.model);
        return !from || !to || !(from.x + from.width < to.x);
      });
      expect(backwards).toEqual([]);
      // boxes do not overlap
      const overlapping = drawn.nodes.flatMap((a, i) =>
        drawn.nodes
          .slice(i + 1)
          .filter(
            (b) =>
              a.box.x < b.box.x + b.box.width &&
              b.box.x < a.box.x + a.box.width &&
              a.box.y < b.box.y + b.box.height &&
              b.box.y < a.box.y + a.box.height,
          )
          .map((b) => `${a.name} / ${b.name}`),
      );
      expect(overlapping).toEqual([]);
      // every label within its box (the rendered text's extent, in the browser's font)
      const spilling = drawn.nodes
        .filter(
          (node) =>
            !(node.label.width > 0) ||
            node.label.x < node.box.x ||
            node.label.y < node.box.y ||
            node.label.x + node.label.width > node.box.x + node.box.width ||
            node.label.y + node.label.height > node.box.y + node.box.height,
        )
        .map((node) => node.name);
      expect(spilling).toEqual([]);

      // a click on a box highlights it, all it reads (transitively) and all that reads it; nothing else
      for (const name of ['intermediate.int_events', 'marts.user_performance']) {
        await overview.locator(`a[data-node="${name}"]`).click();
        await overview.locator(`a[data-node="${name}"].selected`).waitFor();
        const clicked = await drawnGraph(overview);
        const { up, down } = lineageOf(edges, name);
        expect(
          clicked.nodes
            .filter((node) => node.on)
            .map((node) => node.name)
            .sort(),
        ).toEqual([...new Set([...up, ...down])].sort());
        // the edges on a path through it: both ends upstream of it, or both downstream
        const through = edges.filter((edge) => (up.has(edge.source) && up.has(edge.model)) || (down.has(edge.source) && down.has(edge.model)));
        expect(through.length).toBeGreaterThan(0);
        expect(
          clicked.edges
            .filter((edge) => edge.on)
            .map((edge) => `${edge.source} -> ${edge.model}`)
            .sort(),
        ).toEqual(through.map((edge) => `${edge.source} -> ${edge.model}`).sort());
        expect(page.url()).not.toContain('#model/');
      }
      expect(await page.locator('section[data-view="overview"]').isVisible()).toBe(true);
      await page.screenshot({ path: join(REPO_ROOT, 'out', 'docs-site-lineage.png') });
      // a click on the background clears the highlight
      await overview.click({ position: { x: 2, y: 2 } });
      expect((await drawnGraph(overview)).nodes.filter((node) => node.on)).toEqual([]);

      // a phone: the page fits 420 px; a graph wider than that scrolls inside its own box
      await page.setViewportSize({ width: 420, height: 860 });
      for (const view of ['overview', 'model/marts.user_performance', 'model/intermediate.int_events', 'sources', 'tests', 'chart']) {
        await page.goto(`${pathToFileURL(index).href}#${view}`);
        await page.locator(`section[data-view="${view}"]`).waitFor({ state: 'visible' });
        const width = await page.locator('html').evaluate((html) => html.scrollWidth);
        expect({ view, fits: width <= 420 }).toEqual({ view, fits: true });
      }
      await page.goto(`${pathToFileURL(index).href}#overview`);
      const box = page.locator('section[data-view="overview"] .graph');
      const { scrollWidth, clientWidth } = await box.evaluate((element) => ({ scrollWidth: element.scrollWidth, clientWidth: element.clientWidth }));
      expect(clientWidth).toBeLessThanOrEqual(420);
      expect(scrollWidth).toBeGreaterThan(clientWidth);
      await overview.locator('a[data-node="intermediate.int_sessions"]').click();
      await page.screenshot({ path: join(REPO_ROOT, 'out', 'docs-site-phone.png') });
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  },
  60_000,
);
