import { isUtf8 } from 'node:buffer';

/** The byte order mark a header may start with (stripped before reading its names). */
export const BOM = '\uFEFF';

/**
 * The text of a record, or why it cannot be stored: the checks every format shares
 * (bytes that Postgres text and jsonb can hold: no NUL, valid UTF-8).
 */
export function recordText(record: Buffer): { text: string } | { reason: string } {
  const reason = recordProblem(record);
  return reason === undefined ? { text: record.toString('utf8') } : { reason };
}

/** Why a record's bytes cannot be stored (the checks of recordText), without decoding them. */
export function recordProblem(record: Buffer): string | undefined {
  if (record.includes(0)) return 'line contains a NUL byte';
  if (!isUtf8(record)) return 'line is not valid UTF-8';
  return undefined;
}
