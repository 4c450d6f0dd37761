import fc from 'fast-check';
import { textWidth } from '../../chart/text-width';
import { layoutLineage, type LaidOutNode } from '../../observe/docs-site/lineage-layout';
import { lineageSvg, MAX_GRAPH_NODES, neighbourhood } from '../../observe/docs-site/lineage-svg';
import { fitLabel, LABEL_FONT_SIZE, MAX_LABEL_WIDTH } from '../../observe/docs-site/node-label';
import type { LineageEdge } from '../../observe/lineage';

// The docs site's lineage graph, laid out and drawn in Node (no database, no browser:
// tests/observe/docs-site.test.ts checks the drawn page in Chromium).

const href = (name: string) => `#model/${encodeURIComponent(name)}`;

/** A random DAG: edges only from a lower-numbered relation to a higher one, names spread over the layers' schemas. */
const dags = fc
  .integer({ min: 1, max: 24 })
  .chain((count) =>
    fc.record({
      names: fc.constant(Array.from({ length: count }, (_, index) => `${['raw', 'staging', 'intermediate', 'marts'][index % 4]}.m${index}`)),
      pairs: fc.array(fc.tuple(fc.nat(count - 1), fc.nat(count - 1)), { maxLength: 3 * count }),
    }),
  )
  .map(({ names, pairs }) => ({
    names,
    edges: [
      ...new Map(
        pairs
          .filter(([a, b]) => a !== b)
          .map(([a, b]) => [`${Math.min(a, b)}-${Math.max(a, b)}`, { source: names[Math.min(a, b)]!, model: names[Math.max(a, b)]! }]),
      ).values(),
    ],
  }));

const overlaps = (a: LaidOutNode, b: LaidOutNode) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

test('any DAG is laid out in layers: every edge runs from a box wholly left of the one it leads to, no boxes overlap, all inside the drawing', () => {
  fc.assert(
    fc.property(dags, ({ names, edges }) => {
      const layout = layoutLineage(names, edges);
      const at = new Map(layout.nodes.map((node) => [node.name, node]));
      expect([...at.keys()].sort()).toEqual([...names].sort());
      for (const edge of edges) {
        const from = at.get(edge.source)!;
        const to = at.get(edge.model)!;
        expect(from.x + from.width).toBeLessThan(to.x);
      }
      for (const [index, a] of layout.nodes.entries()) for (const b of layout.nodes.slice(index + 1)) expect(overlaps(a, b)).toBe(false);
      for (const node of layout.nodes) {
        expect(node.x).toBeGreaterThanOrEqual(0);
        expect(node.y).toBeGreaterThanOrEqual(0);
        expect(node.x + node.width).toBeLessThanOrEqual(layout.width);
        expect(node.y + node.height).toBeLessThanOrEqual(layout.height);
      }
      for (const edge of layout.edges)
        for (const [a, b] of edge.points.slice(1).map((point, index) => [edge.points[index]!, point])) expect(b!.x).toBeGreaterThan(a!.x);
    }),
    { numRuns: 40 },
  );
});

test('each box is as wide as its name in the bundled font, plus padding; a name wider than the cap is shortened in the middle, keeping its schema and its end', () => {
  const short = fitLabel('intermediate.int_category_days_by_load');
  expect(short).toEqual({
    text: 'intermediate.int_category_days_by_load',
    width: Math.ceil(textWidth(short.text, LABEL_FONT_SIZE)),
    shortened: false,
  });
  const name = `marts.${'very_long_'.repeat(20)}name_end`;
  const long = fitLabel(name);
  expect(long.shortened).toBe(true);
  expect(long.width).toBeLessThanOrEqual(MAX_LABEL_WIDTH);
  expect(long.width).toBeGreaterThan(MAX_LABEL_WIDTH - 20);
  expect(long.text).toMatch(/^marts\.very_long_.*….*_name_end$/);
  expect(Math.ceil(textWidth(long.text, LABEL_FONT_SIZE))).toBe(long.width);
  // the longest name Postgres allows (63 bytes a part), of the widest characters
  const widest = fitLabel(`${'W'.repeat(63)}.${'W'.repeat(63)}`);
  expect(widest.width).toBeLessThanOrEqual(MAX_LABEL_WIDTH);
  // control characters are shown, not passed through; a name of only an emoji or of nothing still gets a box
  expect(fitLabel('raw.a\u0000b\nc').text).toBe('raw.a\ufffdb\ufffdc');
  expect(fitLabel('').width).toBe(0);

  const layout = layoutLineage([name, 'raw.raw_events'], [{ source: 'raw.raw_events', model: name }]);
  const box = layout.nodes.find((node) => node.name === name)!;
  expect(box.width).toBe(long.width + 20);
  const svg = lineageSvg([{ source: 'raw.raw_events', model: name }], { id: 'g', href });
  expect(svg).toContain(`<title>${name}</title>`);
  expect(svg).toContain(`textLength="${long.width}"`);
});

test('a hostile relation name is text in the SVG, never markup: quotes, angle brackets, ampersands and script stay escaped in titles, labels and data attributes', () => {
  const hostile = [
    `marts."><script>alert(1)</script>`,
    `staging.a' onclick='alert(1)`,
    'raw.</text></svg><img src=x onerror=alert(1)>',
    'intermediate.&amp;&lt;',
    '__proto__',
    'constructor.prototype',
  ];
  const edges: LineageEdge[] = hostile.slice(1).map((model, index) => ({ source: hostile[index]!, model }));
  const svg = lineageSvg(edges, { id: 'g', focus: hostile[0], href, nodes: hostile });
  expect(svg).not.toMatch(/<script|<img/i);
  // every tag is one the drawing writes
  expect([...new Set([...svg.matchAll(/<\/?([a-zA-Z]+)/g)].map((match) => match[1]))].sort()).toEqual([
    'a',
    'defs',
    'marker',
    'path',
    'rect',
    'svg',
    'text',
    'title',
  ]);
  // every attribute value is quoted and holds no quote or angle bracket
  const tags = [...svg.matchAll(/<[a-zA-Z][^>]*>/g)].map((match) => match[0]);
  for (const tag of tags) expect(tag).toMatch(/^<[a-zA-Z]+(?:\s+[a-zA-Z-]+="[^"<>]*")*\s*\/?>$/);
  const unescape = (text: string) =>
    text
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  expect([...svg.matchAll(/data-node="([^"]*)"/g)].map((match) => unescape(match[1]!)).sort()).toEqual([...hostile].sort());
  expect([...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((match) => unescape(match[1]!)).sort()).toEqual([...hostile].sort());
  expect(
    [...svg.matchAll(/<path class="edge" data-source="([^"]*)" data-model="([^"]*)"/g)].map(
      (match) => `${unescape(match[1]!)} -> ${unescape(match[2]!)}`,
    ),
  ).toEqual(edges.map((edge) => `${edge.source} -> ${edge.model}`));
});

test('a cycle or a self-reference (not from pg_depend, but any input) is still laid out: every relation placed, no edge lost, nothing hangs', () => {
  const edges: LineageEdge[] = [
    { source: 'a.x', model: 'a.y' },
    { source: 'a.y', model: 'a.z' },
    { source: 'a.z', model: 'a.x' },
    { source: 'a.z', model: 'a.z' },
  ];
  const layout = layoutLineage([], edges);
  expect(layout.nodes.map((node) => node.name)).toEqual(['a.x', 'a.y', 'a.z']);
  expect(layout.nodes.every((node) => Number.isFinite(node.x) && Number.isFinite(node.y))).toBe(true);
  expect(layout.edges).toHaveLength(3);
});

test(`a graph of more than ${MAX_GRAPH_NODES} relations is not laid out: a model's page draws only its direct neighbours, the overview says why it draws none`, () => {
  const hub = 'intermediate.hub';
  const edges: LineageEdge[] = Array.from({ length: 3 * MAX_GRAPH_NODES }, (_, index) => ({ source: hub, model: `marts.m${index}` }));
  for (let index = 0; index < 3 * MAX_GRAPH_NODES; index += 1) edges.push({ source: `marts.m${index}`, model: `marts.n${index}` });
  const started = Date.now();
  const overview = lineageSvg(edges, { id: 'all', href });
  expect(overview).not.toContain('<svg');
  expect(overview).toContain(`${1 + 6 * MAX_GRAPH_NODES} relations: too many to draw`);
  // the hub's direct readers alone are too many
  expect(lineageSvg(edges, { id: 'hub', focus: hub, href })).not.toContain('<svg');
  // a mart's whole lineage is three relations: drawn whole
  const mart = lineageSvg(
    edges.filter((edge) => [edge.source, edge.model].some((name) => name === 'marts.m1' || name === 'marts.n1') && edge.source !== 'marts.m2'),
    { id: 'm1', focus: 'marts.m1', href },
  );
  expect([...mart.matchAll(/data-node="/g)]).toHaveLength(3);
  // a mart reading the hub, which reads more than the cap, upstream: only its direct neighbours are drawn
  const wide: LineageEdge[] = [
    ...Array.from({ length: MAX_GRAPH_NODES }, (_, index) => ({ source: `raw.t${index}`, model: hub })),
    { source: hub, model: 'marts.p0' },
    ...Array.from({ length: MAX_GRAPH_NODES - 10 }, (_, index) => ({ source: `raw.s${index}`, model: 'marts.p0' })),
    { source: 'marts.p0', model: 'marts.q0' },
    { source: 'marts.p1', model: 'marts.q1' },
  ];
  const focused = lineageSvg(neighbourhood(wide, 'marts.p0'), { id: 'p0', focus: 'marts.p0', href, nodes: ['marts.p0'] });
  expect(focused).toContain(`${1 + MAX_GRAPH_NODES + 1 + MAX_GRAPH_NODES - 10 + 1} relations upstream and downstream`);
  expect([...focused.matchAll(/data-node="([^"]*)"/g)].map((match) => match[1]).sort()).toEqual(
    ['marts.p0', hub, 'marts.q0', ...Array.from({ length: MAX_GRAPH_NODES - 10 }, (_, index) => `raw.s${index}`)].sort(),
  );
  expect(Date.now() - started).toBeLessThan(20_000);
});
