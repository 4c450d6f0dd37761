/**
 * Text in aligned columns for a terminal: a header, a rule of dashes under it, one
 * line per row; each column as wide as its widest cell, figures aligned right.
 */
export interface TextTableOptions {
  /** per column; default 'left' */
  align?: ReadonlyArray<'left' | 'right'>;
  /** between cells (default two spaces) */
  separator?: string;
  /** between the dashes of the rule (default: the separator) */
  ruleSeparator?: string;
  /** 'left': every header cell aligned left (psql's style); default: as its column */
  header?: 'left' | 'as-columns';
}

export function formatTextTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, options: TextTableOptions = {}): string {
  const separator = options.separator ?? '  ';
  // a loop, not Math.max(...cells): spreading a long list into a call's arguments overflows the stack
  const widths = header.map((cell) => cell.length);
  for (const row of rows) {
    widths.forEach((width, i) => {
      widths[i] = Math.max(width, (row[i] ?? '').length);
    });
  }
  const line = (row: readonly string[], alignOf: (i: number) => 'left' | 'right'): string =>
    widths
      .map((width, i) => (alignOf(i) === 'right' ? (row[i] ?? '').padStart(width) : (row[i] ?? '').padEnd(width)))
      .join(separator)
      .trimEnd();
  const columnAlign = (i: number) => options.align?.[i] ?? 'left';
  const lines = [
    line(header, options.header === 'left' ? () => 'left' : columnAlign),
    widths.map((width) => '-'.repeat(width)).join(options.ruleSeparator ?? separator),
    ...rows.map((row) => line(row, columnAlign)),
  ];
  return `${lines.join('\n')}\n`;
}
