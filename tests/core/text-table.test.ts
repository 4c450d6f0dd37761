import { formatTextTable } from '../../core/text-table';
import { formatTable } from '../../cli/format-table';

// The table printers take any number of rows: nothing spreads a row list into a call's
// arguments (Math.max(...widths) overflows the stack past about 100,000 items).

const MANY = 300_000;

test(`formatTextTable of ${MANY.toLocaleString('en')} rows: aligned, no stack overflow`, () => {
  const rows = Array.from({ length: MANY }, (_row, i) => [String(i), i === MANY - 1 ? 'widest cell' : 'x']);
  const lines = formatTextTable(['n', 'text'], rows, { align: ['right', 'left'] }).split('\n');
  expect(lines).toHaveLength(MANY + 3);
  expect(lines.slice(0, 3)).toEqual(['     n  text', '------  -----------', '     0  x']);
  expect(lines[MANY + 1]).toBe('299999  widest cell');
});

test(`formatTable (elt query) of ${MANY.toLocaleString('en')} rows: no stack overflow, the row count last`, () => {
  const rows = Array.from({ length: MANY }, (_row, i) => [i, `row ${i}`]);
  const text = formatTable(['n', 'label'], rows);
  expect(text.endsWith(`\n299999 | row 299999\n(${MANY} rows)\n`)).toBe(true);
});
