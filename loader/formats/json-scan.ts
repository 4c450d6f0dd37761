/**
 * One pass over a JSON text's UTF-8 bytes, building nothing: is it a JSON object
 * that Postgres jsonb stores as written (docs/contract.md, rules 3 and 4)? The
 * loader asks this of every row, so it reads the bytes of the line once, never
 * decoding them to a string, in memory that does not grow with the text (a fixed
 * stack of MAX_DEPTH levels), instead of JSON.parse building every value only to
 * throw it away. The bytes must be valid UTF-8 (recordProblem checks that first), so
 * every byte from 0x80 up is part of a character a string may hold as it is. A test
 * holds it to JSON.parse and the contract's checks on generated and mutated texts.
 */

/** Why a text is not stored: the first of the contract's rules that holds. */
export type JsonScanProblem =
  | { problem: 'invalid'; at: number }
  | { problem: 'too-deep'; at: number }
  | { problem: 'not-object'; kind: 'array' | 'string' | 'number' | 'boolean' | 'null' }
  | { problem: 'nul-escape' }
  | { problem: 'lone-surrogate' }
  | { problem: 'long-number'; number: string };

/** A number may have at most this many digits before, and as many after, the decimal point when written out in full, and an exponent within ± this. */
export const MAX_NUMBER_DIGITS = 1000;
/** Arrays and objects may nest this deep (Postgres' parser runs out of stack at a depth its settings decide). */
export const MAX_DEPTH = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** characters a string may hold as they are, and that say nothing about surrogates (sticky: matched from lastIndex; always matches, maybe empty) */
/** the closer of each open container, shared by every scan (a scan runs to its end synchronously) */
const CLOSERS = new Uint8Array(MAX_DEPTH);

/** The byte at `pos`, -1 past the end (it matches no test below). */
const at = (bytes: Uint8Array, pos: number): number => bytes[pos] ?? -1;

const isDigit = (code: number): boolean => code >= ZERO && code <= NINE;
const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

function hexValue(code: number): number {
  if (code >= ZERO && code <= NINE) return code - ZERO;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** What a scan found besides the syntax: each rule-4 problem, the first long number's span, and where it stopped. */
interface ScanState {
  pos: number;
  nulEscape: boolean;
  loneSurrogate: boolean;
  longNumber: [number, number] | undefined;
  tooDeep: boolean;
  /** a tab, LF or CR stood as whitespace (a string holds none of them raw) */
  controlWhitespace: boolean;
}

/** Past JSON whitespace from `pos`; notes in `state` when it held a tab, LF or CR, not only spaces. */
function skipWhitespace(bytes: Uint8Array, pos: number, state: ScanState): number {
  for (;;) {
    const code = at(bytes, pos);
    if (code === 0x20) pos += 1;
    else if (code === 0x09 || code === 0x0a || code === 0x0d) {
      state.controlWhitespace = true;
      pos += 1;
    } else return pos;
  }
}

/** A string from its opening quote at `pos`: the position after its closing quote, or -1 when it is not valid JSON. */
function scanString(bytes: Uint8Array, pos: number, state: ScanState): number {
  pos += 1;
  let pendingHigh = false;
  for (;;) {
    let code = at(bytes, pos);
    if (!pendingHigh) {
      // the run of bytes that need no look: most of a string (UTF-8 past 0x7f is a character as it is)
      while (code >= 0x20 && code !== QUOTE && code !== BACKSLASH) code = at(bytes, (pos += 1));
    }
    if (code === QUOTE) break;
    if (code < 0x20) return -1; // a control character, or the end of the text (-1)
    let unit = code;
    if (code === BACKSLASH) {
      const escaped = at(bytes, pos + 1);
      if (escaped === 0x75 /* u */) {
        unit = 0;
        for (let i = 2; i < 6; i += 1) {
          const digit = hexValue(at(bytes, pos + i));
          if (digit < 0) return -1;
          unit = unit * 16 + digit;
        }
        if (unit === 0) state.nulEscape = true;
        pos += 6;
      } else if (
        escaped === QUOTE ||
        escaped === BACKSLASH ||
        escaped === 0x2f /* / */ ||
        escaped === 0x62 /* b */ ||
        escaped === 0x66 /* f */ ||
        escaped === 0x6e /* n */ ||
        escaped === 0x72 /* r */ ||
        escaped === 0x74 /* t */
      ) {
        pos += 2;
      } else return -1;
    } else pos += 1;
    // the string's UTF-16 code units after unescaping must pair every surrogate: only
    // escapes can write one alone (a raw character is valid UTF-8, never a surrogate)
    if (pendingHigh !== isLowSurrogate(unit)) state.loneSurrogate = true;
    pendingHigh = !pendingHigh && isHighSurrogate(unit);
  }
  if (pendingHigh) state.loneSurrogate = true;
  return pos + 1;
}

function skipDigits(bytes: Uint8Array, pos: number): number {
  while (isDigit(at(bytes, pos))) pos += 1;
  return pos;
}

/**
 * A number at `pos`: the position after it, or -1 when it is not valid JSON. Notes the
 * first one beyond MAX_NUMBER_DIGITS (digits before or after its point written out, or its exponent).
 */
function scanNumber(bytes: Uint8Array, start: number, state: ScanState): number {
  let pos = at(bytes, start) === MINUS ? start + 1 : start;
  const integerStart = pos;
  if (at(bytes, pos) === ZERO) pos += 1;
  else {
    pos = skipDigits(bytes, pos);
    if (pos === integerStart) return -1;
  }
  const integerDigits = pos - integerStart;
  let leadingZeros = 0;
  while (leadingZeros < integerDigits && at(bytes, integerStart + leadingZeros) === ZERO) leadingZeros += 1;
  let fractionDigits = 0;
  if (at(bytes, pos) === DOT) {
    const fractionStart = pos + 1;
    pos = skipDigits(bytes, fractionStart);
    fractionDigits = pos - fractionStart;
    if (fractionDigits === 0) return -1;
    if (leadingZeros === integerDigits) {
      while (leadingZeros < integerDigits + fractionDigits && at(bytes, fractionStart + leadingZeros - integerDigits) === ZERO) leadingZeros += 1;
    }
  }
  let exponent = 0;
  const e = at(bytes, pos);
  if (e === 0x65 || e === 0x45) {
    pos += 1;
    const sign = at(bytes, pos);
    if (sign === MINUS || sign === PLUS) pos += 1;
    const exponentStart = pos;
    pos = skipDigits(bytes, pos);
    if (pos === exponentStart) return -1;
    // its value, held once it is past any bound (a long exponent only grows)
    for (let digit = exponentStart; digit < pos && exponent < 1e9; digit += 1) exponent = exponent * 10 + (at(bytes, digit) - ZERO);
    if (sign === MINUS) exponent = -exponent;
  }
  if (state.longNumber === undefined) {
    const allZeros = leadingZeros === integerDigits + fractionDigits;
    const before = allZeros ? 0 : Math.max(0, integerDigits + exponent - leadingZeros);
    const after = Math.max(0, fractionDigits - exponent);
    if (before > MAX_NUMBER_DIGITS || after > MAX_NUMBER_DIGITS || Math.abs(exponent) > MAX_NUMBER_DIGITS) state.longNumber = [start, pos];
  }
  return pos;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

/** The literal `word` at `pos`: the position after it, or -1. */
function literal(bytes: Uint8Array, pos: number, word: Uint8Array): number {
  for (let i = 0; i < word.length; i += 1) if (at(bytes, pos + i) !== word[i]) return -1;
  return pos + word.length;
}

/** A scalar value at `pos` (a container is opened by the caller): the position after it, or -1 when it is not valid JSON. */
function scanScalar(bytes: Uint8Array, pos: number, state: ScanState): number {
  const code = at(bytes, pos);
  if (code === QUOTE) return scanString(bytes, pos, state);
  if (code === MINUS || isDigit(code)) return scanNumber(bytes, pos, state);
  if (code === 0x74) return literal(bytes, pos, TRUE);
  if (code === 0x66) return literal(bytes, pos, FALSE);
  if (code === 0x6e) return literal(bytes, pos, NULL);
  return -1;
}

/** A member's key and its colon at `pos`: the position of its value, or -1. */
function scanKey(bytes: Uint8Array, pos: number, state: ScanState): number {
  if (at(bytes, pos) !== QUOTE) return -1;
  pos = scanString(bytes, pos, state);
  if (pos < 0) return -1;
  pos = skipWhitespace(bytes, pos, state);
  if (at(bytes, pos) !== COLON) return -1;
  return skipWhitespace(bytes, pos + 1, state);
}

/**
 * The whole text as one JSON value, nested containers kept on a fixed stack (no
 * recursion); true when it is valid JSON nested at most MAX_DEPTH deep. state.pos
 * says where it stopped.
 */
function scanDocument(bytes: Uint8Array, state: ScanState): boolean {
  const closers = CLOSERS;
  let depth = 0;
  let pos = skipWhitespace(bytes, 0, state);
  for (;;) {
    // at a value
    const code = at(bytes, pos);
    if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (depth === MAX_DEPTH) {
        state.tooDeep = true;
        break;
      }
      pos = skipWhitespace(bytes, pos + 1, state);
      const closer = code === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      if (at(bytes, pos) === closer) pos += 1;
      else {
        closers[depth] = closer;
        depth += 1;
        if (closer === CLOSE_BRACE) {
          const value = scanKey(bytes, pos, state);
          if (value < 0) break;
          pos = value;
        }
        continue;
      }
    } else {
      const after = scanScalar(bytes, pos, state);
      if (after < 0) break;
      pos = after;
    }
    // after a value: close what ends here, then a comma leads to the next value
    for (;;) {
      pos = skipWhitespace(bytes, pos, state);
      if (depth === 0) {
        state.pos = pos;
        return pos === bytes.length;
      }
      const closer = closers[depth - 1] as number;
      const next = at(bytes, pos);
      if (next === closer) {
        depth -= 1;
        pos += 1;
        continue;
      }
      if (next !== COMMA) {
        state.pos = pos;
        return false;
      }
      pos = skipWhitespace(bytes, pos + 1, state);
      if (closer === CLOSE_BRACE) {
        const value = scanKey(bytes, pos, state);
        if (value < 0) {
          state.pos = pos;
          return false;
        }
        pos = value;
      }
      break;
    }
  }
  state.pos = pos;
  return false;
}

function kindOf(code: number): 'array' | 'string' | 'number' | 'boolean' | 'null' {
  if (code === OPEN_BRACKET) return 'array';
  if (code === QUOTE) return 'string';
  if (code === 0x74 || code === 0x66) return 'boolean';
  return code === 0x6e ? 'null' : 'number';
}

/** What the writer of an accepted text needs to know of it, found by the same scan. */
export interface ScannedJson {
  /**
   * true when a tab, LF or CR stands in it as whitespace: the only place a valid
   * text can hold one of those bytes raw (or any byte below 0x20), and each would end
   * a field or a row of COPY's input
   */
  controlWhitespace: boolean;
}

/**
 * Undefined when `text` is a JSON object jsonb stores as written; else the first of the
 * contract's rules it breaks, and where. `scanned`, when given, is told what the scan saw.
 */
export function scanJsonObject(bytes: Uint8Array, scanned?: ScannedJson): JsonScanProblem | undefined {
  const scanner: ScanState = { pos: 0, nulEscape: false, loneSurrogate: false, longNumber: undefined, tooDeep: false, controlWhitespace: false };
  const valid = scanDocument(bytes, scanner);
  if (scanned) scanned.controlWhitespace = scanner.controlWhitespace;
  if (!valid) return { problem: scanner.tooDeep ? 'too-deep' : 'invalid', at: scanner.pos };
  let first = 0;
  while (at(bytes, first) === 0x20 || at(bytes, first) === 0x09 || at(bytes, first) === 0x0a || at(bytes, first) === 0x0d) first += 1;
  if (at(bytes, first) !== OPEN_BRACE) return { problem: 'not-object', kind: kindOf(at(bytes, first)) };
  if (scanner.nulEscape) return { problem: 'nul-escape' };
  if (scanner.loneSurrogate) return { problem: 'lone-surrogate' };
  if (scanner.longNumber)
    return { problem: 'long-number', number: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8', ...scanner.longNumber) };
  return undefined;
}
