import { isUtf8 } from 'node:buffer';

/** The byte order mark a header may start with (stripped before reading its names). */
export const BOM = '\uFEFF';

/**
 * The text of a record, or why it cannot be stored: the checks every format shares
 * (bytes that Postgres text and jsonb can hold: no NUL, valid UTF-8).
 */
export function recordText(record: Buffer): { text: string } | { reason: string } {
  if (record.includes(0)) return { reason: 'line contains a NUL byte' };
  if (!isUtf8(record)) return { reason: 'line is not valid UTF-8' };
  return { text: record.toString('utf8') };
}
