import { pathToFileURL } from 'node:url';

/** The ASCII bytes a file URI keeps as they are (as Node's pathToFileURL does); every other byte is %XX. */
const KEPT = new Set(
  Array.from({ length: 0x80 }, (_, byte) => byte).filter((byte) => {
    const char = String.fromCharCode(byte);
    return char !== '%' && pathToFileURL(`/a${char}b`).href === `file:///a${char}b`;
  }),
);

const hex = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * The `file://` URI of an absolute path given as bytes (a file name is bytes, not
 * necessarily UTF-8). A valid UTF-8 path gets the URI pathToFileURL gives it (the
 * one the ledger has always used); in any other, each byte that is not plain ASCII
 * is percent-encoded on its own (`caf\xE9.tsv` is `caf%E9.tsv`). Either way
 * percent-decoding the URI gives back exactly the path's bytes (pathOfFileUri), so
 * two paths never share a URI, and the URI is printable ASCII (safe in a log line).
 */
export function fileUri(path: Buffer): string {
  const text = path.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(path)) return pathToFileURL(text).href;
  let encoded = '';
  for (const byte of path) encoded += KEPT.has(byte) ? String.fromCharCode(byte) : hex(byte);
  return `file://${encoded}`;
}

/** The path (bytes) of a `file:///...` URI: its percent-encodings decoded byte by byte. */
export function pathOfFileUri(uri: string): Buffer {
  const match = /^file:\/\/(?:localhost)?(\/.*)$/i.exec(uri);
  if (!match) throw new Error(`not a local file URI: ${uri}`);
  const path = match[1] as string;
  // the odd pieces are %XX escapes, the even ones text between them
  return Buffer.concat(
    path
      .split(/(%[0-9a-fA-F]{2})/)
      .map((piece, i) => (i % 2 === 1 ? Buffer.from([Number.parseInt(piece.slice(1), 16)]) : Buffer.from(piece, 'utf8'))),
  );
}
