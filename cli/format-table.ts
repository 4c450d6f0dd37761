import { formatTextTable } from '../core/text-table';

/** One value as text: '' for NULL, ISO for timestamps, JSON for objects and arrays. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Formats query rows (by position: a name may repeat) for a terminal, psql-style:
 * aligned columns (figures to the right), a header rule, a row count; `cut`: only the
 * first rows, and the last line says so.
 */
export function formatTable(columns: string[], rows: ReadonlyArray<readonly unknown[]>, options: { cut?: boolean } = {}): string {
  const cells = rows.map((row) => columns.map((_column, index) => text(row[index])));
  const align = columns.map((_column, index) =>
    cells.length > 0 && cells.every((line) => /^-?\d+(\.\d+)?$|^$/.test(line[index] as string)) ? 'right' : 'left',
  );
  const table = formatTextTable(columns, cells, { align, separator: ' | ', ruleSeparator: '-+-', header: 'left' });
  const footer = options.cut
    ? `(first ${rows.length} rows; more not shown: add a limit, or use --csv or --json for every row)`
    : `(${rows.length} row${rows.length === 1 ? '' : 's'})`;
  return `${table}${footer}\n`;
}

/** One CSV field (RFC 4180: a field with a comma, a quote or a newline is quoted). */
function csvField(value: unknown): string {
  const cell = text(value);
  return /[",\n\r]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** Rows (by position) as CSV: a header line, then one line per row. */
export function formatCsv(columns: string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const format = csvFormat();
  return `${format.start(columns)}${format.rows(rows)}${format.end()}`;
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
export function formatJson(columns: string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const format = jsonFormat();
  return `${format.start(columns)}${format.rows(rows)}${format.end()}`;
}

/**
 * A format that elt query writes batch by batch, so that memory holds one batch
 * whatever the row count: the text before the rows, each batch's, the text after.
 */
export interface RowFormat {
  start(columns: string[]): string;
  rows(rows: ReadonlyArray<readonly unknown[]>): string;
  /** false once the format takes no more rows (the table's cap) */
  wantsMore(): boolean;
  /** how many characters the last batch came to (what it printed, or what it kept) */
  lastBatchChars(): number;
  end(): string;
}

/** CSV (RFC 4180), a batch at a time: the header, then one line per row. */
export function csvFormat(): RowFormat {
  let width = 0;
  let chars = 0;
  return {
    start: (columns) => {
      width = columns.length;
      return `${columns.map(csvField).join(',')}\n`;
    },
    rows: (rows) => {
      let out = '';
      for (const row of rows) {
        for (let index = 0; index < width; index += 1) out += index === 0 ? csvField(row[index]) : `,${csvField(row[index])}`;
        out += '\n';
      }
      chars = out.length;
      return out;
    },
    wantsMore: () => true,
    lastBatchChars: () => chars,
    end: () => '',
  };
}

/** A JSON array of objects keyed by uniqueKeys(columns), printed as JSON.stringify(rows, null, 2) would, a batch at a time. */
export function jsonFormat(): RowFormat {
  let keys: string[] = [];
  let first = true;
  let chars = 0;
  return {
    start: (columns) => {
      keys = uniqueKeys(columns);
      return '[';
    },
    rows: (rows) => {
      let out = '';
      for (const row of rows) {
        const object = Object.fromEntries(keys.map((key, index) => [key, row[index]]));
        out += `${first ? '' : ','}\n  ${JSON.stringify(object, null, 2).replaceAll('\n', '\n  ')}`;
        first = false;
      }
      chars = out.length;
      return out;
    },
    wantsMore: () => true,
    lastBatchChars: () => chars,
    end: () => (first ? ']\n' : '\n]\n'),
  };
}

/**
 * The table (formatTable), of at most `maxRows` rows and `maxChars` characters of cells: it
 * must see every row it prints to align them, so it keeps them; past either cap it takes no
 * more, and its last line says that more rows were not shown.
 */
export function tableFormat(maxRows: number, maxChars: number): RowFormat {
  let columns: string[] = [];
  const kept: string[][] = [];
  let keptChars = 0;
  let cut = false;
  let chars = 0;
  return {
    start: (names) => {
      columns = names;
      return '';
    },
    rows: (rows) => {
      chars = 0;
      for (const row of rows) {
        const cells = columns.map((_column, index) => text(row[index]));
        const size = cells.reduce((sum, cell) => sum + cell.length, 0);
        if (cut || kept.length >= maxRows || (kept.length > 0 && keptChars + size > maxChars)) {
          cut = true;
          break;
        }
        kept.push(cells);
        keptChars += size;
        chars += size;
      }
      return '';
    },
    wantsMore: () => !cut,
    lastBatchChars: () => chars,
    end: () => formatTable(columns, kept, { cut }),
  };
}
