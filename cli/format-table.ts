/** Formats query rows for a terminal, psql-style: aligned columns, a header rule, a row count. */
export function formatTable(columns: string[], rows: Record<string, unknown>[]): string {
  const cell = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (value instanceof Date) return value.toISOString();
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  };
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => (line[index] as string).length)));
  const numeric = columns.map((_column, index) => cells.length > 0 && cells.every((line) => /^-?\d+(\.\d+)?$|^$/.test(line[index] as string)));
  const pad = (text: string, index: number) => (numeric[index] ? text.padStart(widths[index] as number) : text.padEnd(widths[index] as number));
  const lines = [
    columns.map((column, index) => column.padEnd(widths[index] as number)).join(' | '),
    widths.map((width) => '-'.repeat(width)).join('-+-'),
    ...cells.map((line) => line.map(pad).join(' | ')),
    `(${rows.length} row${rows.length === 1 ? '' : 's'})`,
  ];
  return `${lines.map((line) => line.trimEnd()).join('\n')}\n`;
}

/** Rows as CSV (RFC 4180: fields with commas, quotes or newlines are quoted). */
export function formatCsv(columns: string[], rows: Record<string, unknown>[]): string {
  const field = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    const text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return `${[columns.join(','), ...rows.map((row) => columns.map((column) => field(row[column])).join(','))].join('\n')}\n`;
}
