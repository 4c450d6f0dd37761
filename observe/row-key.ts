import { EltError, ExitCode } from '../core/errors';
import { quoted } from './terminal-safe';

/** A key column and the value the user gave it, in the mart's key order. */
export interface KeyValue {
  column: string;
  value: string;
}

/** How much of a value an error message quotes: a value is the user's, of any length. */
const QUOTED_CHARS = 80;

/** `value` for an error message: quoted (no control character reaches the terminal), cut when long. */
export function quoteValue(value: string): string {
  return quoted(value.length > QUOTED_CHARS ? `${value.slice(0, QUOTED_CHARS)}...` : value);
}

/**
 * The row key of `mart` from `key=value` arguments: every key column (the mart's header
 * `unique_key`) exactly once, nothing else. The value is everything after the first `=`
 * (it may hold `=`, spaces, quotes: it is bound as a parameter, never put into SQL).
 */
export function parseRowKey(mart: string, keyColumns: readonly string[], args: readonly string[]): KeyValue[] {
  const given = new Map<string, string>();
  const expected = keyColumns.map((column) => `${column}=...`).join(' ');
  for (const arg of args) {
    const at = arg.indexOf('=');
    const column = at === -1 ? arg : arg.slice(0, at);
    if (at <= 0) throw new EltError(`${quoteValue(arg)} is not column=value (the key of ${mart}: ${expected})`, ExitCode.usage);
    if (!keyColumns.includes(column)) {
      throw new EltError(`${mart} has no key column ${quoteValue(column)} (its key: ${expected})`, ExitCode.usage);
    }
    if (given.has(column)) throw new EltError(`key column ${column} given twice (the key of ${mart}: ${expected})`, ExitCode.usage);
    const value = arg.slice(at + 1);
    // Postgres text cannot hold NUL: no row can have such a key
    if (value.includes('\u0000')) throw new EltError(`${column}: a value holding a NUL character matches no row of ${mart}`, ExitCode.usage);
    given.set(column, value);
  }
  const missing = keyColumns.filter((column) => !given.has(column));
  if (missing.length > 0) throw new EltError(`missing key ${missing.join(', ')} (the key of ${mart}: ${expected})`, ExitCode.usage);
  return keyColumns.map((column) => ({ column, value: given.get(column) as string }));
}
