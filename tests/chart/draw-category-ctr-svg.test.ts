import { CHART_HEIGHT, CHART_WIDTH } from '../../chart/category-ctr-spec';
import { MAX_CHART_CATEGORIES, MAX_CHART_DAYS } from '../../chart/chart-limits';
import { DEFAULT_MIN_DISPLAYS } from '../../chart/chart-options';
import { drawCategoryCtrSvg } from '../../chart/draw-category-ctr-svg';
import { dayAfter, martRows } from './mart-rows';
import { textBounds } from './text-bounds';

/** The aria-label of every heat-map cell: "<category>, <day>: <what it shows>". */
function cells(svg: string): string[] {
  return [...svg.matchAll(/aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="rect mark"/g)].map((match) => match[1] ?? '');
}

/** The text of every <text> element, each line (<tspan>) of a multi-line one apart. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>(.*?)<\/text>/g)].flatMap((match) => {
    const content = match[1] ?? '';
    return content.startsWith('<tspan') ? [...content.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((line) => line[1] ?? '') : [content];
  });
}

/** Every text element drawn inside the image (measured with the bundled font by resvg). */
function expectTextInsideImage(svg: string): void {
  const box = textBounds(svg);
  expect(box).toBeDefined();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.y).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(CHART_WIDTH);
  expect(box!.y + box!.height).toBeLessThanOrEqual(CHART_HEIGHT);
}

describe('3 days, 4 categories, a partial first day with 15 displays', () => {
  const chart = martRows({ first: '2019-02-14', days: 3, categories: 4, firstDayDisplays: 15 });
  let svg: string;
  beforeAll(async () => {
    ({ svg } = await drawCategoryCtrSvg(chart, DEFAULT_MIN_DISPLAYS));
  });

  test('one cell per category and day (4 x 3), none left out', () => {
    expect(cells(svg)).toHaveLength(12);
    for (const category of ['c01', 'c02', 'c03', 'c04']) {
      for (const day of ['2019-02-14', '2019-02-15', '2019-02-16'])
        expect(cells(svg).some((cell) => cell.startsWith(`${category}, ${day}:`))).toBe(true);
    }
  });

  test(`the day with 15 displays is marked "too few" (fewer than ${DEFAULT_MIN_DISPLAYS}), not drawn as 0%; a day without displays is said so`, () => {
    expect(cells(svg)).toContain(`c01, 2019-02-14: too few displays (15, fewer than ${DEFAULT_MIN_DISPLAYS})`);
    expect(cells(svg)).toContain('c02, 2019-02-14: no displays');
    expect(cells(svg).filter((cell) => / 0(\.0)?%/.test(cell))).toEqual([]);
    expect(texts(svg)).not.toContain('0%');
    expect(texts(svg)).toContain(`fewer than ${DEFAULT_MIN_DISPLAYS} displays`);
  });

  test('each day with enough displays shows its CTR as a value in its cell, and every day is labelled on the day axis', () => {
    const row = chart.rows.find((r) => r.category === 'c02' && r.date === '2019-02-15')!;
    const value = `${(row.ctr! * 100).toFixed(1)}%`;
    expect(cells(svg)).toContain(`c02, 2019-02-15: ${value} (${row.cardViews} displays)`);
    expect(texts(svg)).toContain(value);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Feb 14', 'Feb 15', 'Feb 16']));
  });

  test('every text fits in the image', () => expectTextInsideImage(svg));
});

describe('30 days, 10 categories', () => {
  let svg: string;
  beforeAll(async () => {
    ({ svg } = await drawCategoryCtrSvg(martRows({ first: '2019-02-14', days: 30, categories: 10, firstDayDisplays: 15 }), DEFAULT_MIN_DISPLAYS));
  });

  test('300 cells, values printed in them, the first and the last day labelled', () => {
    expect(cells(svg)).toHaveLength(300);
    expect(texts(svg).filter((text) => /^\d+\.\d%?$/.test(text)).length).toBeGreaterThanOrEqual(290);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Feb 14', 'Mar 15']));
  });

  test('the partial first day is "too few", not 0%', () => {
    expect(cells(svg)).toContain(`c01, 2019-02-14: too few displays (15, fewer than ${DEFAULT_MIN_DISPLAYS})`);
  });

  test('every text fits in the image', () => expectTextInsideImage(svg));
});

describe('365 days, 12 categories, days and categories left out beyond the bounds', () => {
  const chart = martRows({ first: '2019-02-14', days: 365, categories: 12, firstDayDisplays: 15 });
  chart.leftOut = { days: 2, firstDay: '2018-12-31', lastDay: '9999-12-31', categories: 3 };
  let svg: string;
  beforeAll(async () => {
    ({ svg } = await drawCategoryCtrSvg(chart, DEFAULT_MIN_DISPLAYS));
  });

  test('every day of every category is a cell: 12 x 365, no day dropped or merged', () => {
    const all = cells(svg);
    expect(all).toHaveLength(12 * 365);
    expect(new Set(all.map((cell) => cell.slice(0, cell.indexOf(':')))).size).toBe(12 * 365);
    expect(all.some((cell) => cell.startsWith('c12, 2019-02-14:'))).toBe(true);
    expect(all.some((cell) => cell.startsWith(`c12, ${dayAfter('2019-02-14', 364)}:`))).toBe(true);
  });

  test('the first and the last day are labelled on the day axis', () => {
    expect(texts(svg)).toEqual(expect.arrayContaining(['Feb 14', 'Feb 13']));
  });

  test('the partial first day is "too few", not 0%; what was left out is said', () => {
    expect(cells(svg)).toContain(`c01, 2019-02-14: too few displays (15, fewer than ${DEFAULT_MIN_DISPLAYS})`);
    expect(texts(svg).join(' ')).toContain('2 days with data left out (2018-12-31..9999-12-31)');
  });

  test('every text fits in the image, the subtitle with the left-out note included', () => expectTextInsideImage(svg));
});

test('the threshold is a setting: with 10, the day with 15 displays shows its value; with 500 every day is "too few"', async () => {
  const chart = martRows({ first: '2019-02-14', days: 3, categories: 2, firstDayDisplays: 15 });
  const low = cells((await drawCategoryCtrSvg(chart, 10)).svg);
  expect(low).toContain('c01, 2019-02-14: 0.0% (15 displays)');
  const high = cells((await drawCategoryCtrSvg(chart, 500)).svg);
  expect(high.filter((cell) => cell.includes('too few displays'))).toHaveLength(5);
  expect(high.filter((cell) => cell.includes('no displays'))).toHaveLength(1);
});

test('hostile category names (very long, markup, right-to-left, emoji) stay inside the image and are escaped', async () => {
  const chart = martRows({ first: '2019-02-14', days: 30, categories: 4 });
  const names = ['x'.repeat(5000), '<script>alert(1)</script>&', '\u202eevil\u202c'.repeat(50), '🦄'.repeat(200)];
  for (const row of chart.rows) row.category = names[Number(row.category.slice(1)) - 1]!;
  const { svg } = await drawCategoryCtrSvg(chart, DEFAULT_MIN_DISPLAYS);
  expect(svg).not.toContain('<script>');
  expect(cells(svg)).toHaveLength(120);
  expectTextInsideImage(svg);
});

test(`the largest chart (${MAX_CHART_CATEGORIES} categories x ${MAX_CHART_DAYS} days) draws every cell in a few seconds, its text inside the image`, async () => {
  const chart = martRows({ first: '2019-01-01', days: MAX_CHART_DAYS, categories: MAX_CHART_CATEGORIES });
  const started = performance.now();
  const { svg } = await drawCategoryCtrSvg(chart, DEFAULT_MIN_DISPLAYS);
  expect(performance.now() - started).toBeLessThan(8000);
  expect(cells(svg)).toHaveLength(MAX_CHART_CATEGORIES * MAX_CHART_DAYS);
  expectTextInsideImage(svg);
});

test('one odd day (60%) does not wash the others into one colour: the scale spans the middle 90%, the subtitle says so, the odd value is printed', async () => {
  const chart = martRows({ first: '2019-02-14', days: 30, categories: 4 });
  const odd = chart.rows[5]!;
  odd.articleViews = Math.round(odd.cardViews * 0.6);
  odd.ctr = odd.articleViews / odd.cardViews;
  const { svg } = await drawCategoryCtrSvg(chart, DEFAULT_MIN_DISPLAYS);
  expect(texts(svg).join(' ')).toContain('The colours span the middle 90% of days; the rest take the end colours.');
  expect(cells(svg)).toContain(`${odd.category}, ${odd.date}: ${(odd.ctr * 100).toFixed(1)}% (${odd.cardViews} displays)`);
  // the gradient legend's labels stay within the band of the ordinary days (11% to 14%), not up to 60%
  const legend = [...svg.matchAll(/role-legend-label.*?<\/g>/g)].flatMap((group) => texts(group[0])).filter((text) => text.endsWith('%'));
  expect(legend.length).toBeGreaterThan(1);
  for (const label of legend) expect(parseFloat(label)).toBeGreaterThanOrEqual(10.5);
  for (const label of legend) expect(parseFloat(label)).toBeLessThanOrEqual(14.5);
});
