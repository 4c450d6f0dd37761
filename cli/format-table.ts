import { formatTextTable } from '../core/text-table';

/** One value as text: '' for NULL, ISO for timestamps, JSON for objects and arrays. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Formats query rows (by position: a name may repeat) for a terminal, psql-style:
 * aligned columns (figures to the right), a header rule, a row count.
 */
export function formatTable(columns: string[], rows: unknown[][]): string {
  const cells = rows.map((row) => columns.map((_column, index) => text(row[index])));
  const align = columns.map((_column, index) =>
    cells.length > 0 && cells.every((line) => /^-?\d+(\.\d+)?$|^$/.test(line[index] as string)) ? 'right' : 'left',
  );
  const table = formatTextTable(columns, cells, { align, separator: ' | ', ruleSeparator: '-+-', header: 'left' });
  return `${table}(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}

/** Rows (by position) as CSV (RFC 4180: fields with commas, quotes or newlines are quoted). */
export function formatCsv(columns: string[], rows: unknown[][]): string {
  const field = (value: unknown): string => {
    const cell = text(value);
    return /[",\n\r]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
  };
  return `${[columns.join(','), ...rows.map((row) => columns.map((_column, index) => field(row[index])).join(','))].join('\n')}\n`;
}

/**
 * Keys for JSON objects that lose no column: a name that repeats keeps its first
 * occurrence, the later ones become name_2, name_3, ... (skipping names in use).
 */
export function uniqueKeys(columns: string[]): string[] {
  const taken = new Set(columns);
  const seen = new Set<string>();
  return columns.map((column) => {
    if (!seen.has(column)) {
      seen.add(column);
      return column;
    }
    let suffix = 2;
    while (taken.has(`${column}_${suffix}`)) suffix += 1;
    const key = `${column}_${suffix}`;
    taken.add(key);
    return key;
  });
}

/** Rows (by position) as a JSON array of objects, keyed by uniqueKeys(columns). */
export function formatJson(columns: string[], rows: unknown[][]): string {
  const keys = uniqueKeys(columns);
  const objects = rows.map((row) => Object.fromEntries(keys.map((key, index) => [key, row[index]])));
  return `${JSON.stringify(objects, null, 2)}\n`;
}
