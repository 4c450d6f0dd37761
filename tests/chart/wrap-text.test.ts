import { textWidth } from '../../chart/text-width';
import { wrapText } from '../../chart/wrap-text';

test('wrapText breaks at spaces; every line fits the width; no word is lost', () => {
  const text = 'showing 2019-02-14..2020-02-13; 2 days with data left out (2018-12-31..9999-12-31): at most 366 consecutive days are drawn';
  const lines = wrapText(text, 300, 13);
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines) expect(textWidth(line, 13)).toBeLessThanOrEqual(300);
  expect(lines.join(' ')).toBe(text);
});

test('wrapText cuts a word wider than the line (5,000 letters, emoji) into pieces that fit, and terminates on an empty text', () => {
  for (const word of ['x'.repeat(5000), '🦄'.repeat(300)]) {
    const lines = wrapText(`a ${word} b`, 200, 13, true);
    for (const line of lines) expect(textWidth(line, 13, true)).toBeLessThanOrEqual(200);
    expect(lines.join('').replace(/ /g, '')).toBe(`a${word}b`);
  }
  expect(wrapText('', 200, 13)).toEqual([]);
  expect(wrapText('W', 1, 13)).toEqual(['W']); // a single character wider than the line is kept whole: no endless loop
});

test('textWidth measures the bundled font: wide letters are wider, bold is wider, size scales it', () => {
  expect(textWidth('WWW', 12)).toBeGreaterThan(textWidth('iii', 12));
  expect(textWidth('Click', 12, true)).toBeGreaterThan(textWidth('Click', 12));
  expect(textWidth('Click', 24)).toBeCloseTo(2 * textWidth('Click', 12));
});
