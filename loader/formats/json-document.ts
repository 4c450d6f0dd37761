import type { ByteWriter } from '../stages/byte-writer';
import { MAX_DEPTH, MAX_NUMBER_DIGITS, scanJsonObject, type JsonScanProblem, type ScannedJson } from './json-scan';

/** A piece of the text for a reason: at most 40 characters, JSON-quoted. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/**
 * Why `json` (its UTF-8 bytes, or a string) is not a JSON object that Postgres jsonb can store, or undefined when
 * it is (docs/contract.md, rules 3 and 4). `what` names the text in the reason
 * (e.g. ATTRIBUTES, the line).
 */
export function jsonObjectProblem(json: Uint8Array | string, what: string): string | undefined {
  const bytes = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
  const scan = scanJsonObject(bytes);
  return scan === undefined ? undefined : describeProblem(scan, bytes, what);
}

/** What a scan of the text that starts at `source[start]` saw (reused: parsing is synchronous). */
const scanned: ScannedJson = { controlWhitespace: false };

/**
 * Writes the JSON object `source[start..end)` to `out` as COPY input, its meaning
 * unchanged, and returns undefined; or returns why jsonb would not store it as written
 * (jsonObjectProblem), having written nothing. One scan both checks the text and
 * says whether it holds a tab, LF or CR as whitespace, which out.json then writes
 * as spaces; a text without them (the common case) is copied as it is.
 */
export function writeJsonObject(source: Buffer, start: number, end: number, what: string, out: ByteWriter): string | undefined {
  const bytes = source.subarray(start, end);
  const scan = scanJsonObject(bytes, scanned);
  if (scan !== undefined) return describeProblem(scan, bytes, what);
  out.json(source, start, end, scanned.controlWhitespace);
  return undefined;
}

function describeProblem(scan: JsonScanProblem, bytes: Uint8Array, what: string): string {
  const text = (from: number, to: number) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8', from, to);
  switch (scan.problem) {
    case 'invalid':
      return `${what} is not valid JSON (${scan.at >= bytes.length ? 'it ends too soon' : `unexpected ${quoted(text(scan.at, scan.at + 1))} at byte ${scan.at}`})`;
    case 'too-deep':
      return `${what} nests arrays and objects more than ${MAX_DEPTH} deep (at byte ${scan.at})`;
    case 'not-object':
      return `${what} is JSON but not an object (${scan.kind})`;
    case 'nul-escape':
      return `${what} contains \\u0000, which Postgres jsonb cannot store`;
    case 'lone-surrogate':
      return `${what} contains an unpaired UTF-16 surrogate escape`;
    case 'long-number':
      return `${what} has the number ${quoted(scan.number)}, over ${MAX_NUMBER_DIGITS} digits written out or an exponent beyond ±${MAX_NUMBER_DIGITS}`;
  }
}
