/** tab, LF, CR */
const CONTROL_WHITESPACE = [0x09, 0x0a, 0x0d];
const SPACE = 0x20;

/**
 * COPY input as bytes, appended in place: the loader writes each row's prefix, its
 * event document (mostly byte ranges of the input line) and its line end here, so
 * no row is decoded to a JavaScript string and encoded back. `take()` hands over
 * what was written and starts a new buffer.
 */
export class ByteWriter {
  private buffer: Buffer;
  /** bytes written so far; a caller may set it back to a mark to drop what it wrote after it */
  length = 0;

  constructor(private readonly initialSize = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  private ensure(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length] = value;
    this.length += 1;
  }

  /** `source[start..end)`, as they are. */
  bytes(source: Buffer, start = 0, end = source.length): void {
    this.ensure(end - start);
    if (end - start > 32) {
      this.length += source.copy(this.buffer, this.length, start, end);
      return;
    }
    // a short piece (a key, an id): byte by byte costs less than the call into copy
    const { buffer } = this;
    let length = this.length;
    for (let pos = start; pos < end; pos += 1) buffer[length++] = source[pos] as number;
    this.length = length;
  }

  /**
   * JSON text `source[start..end)`: as it is, or, when the scan of it saw a tab, LF or CR
   * (`controlWhitespace`: in a valid text only ever whitespace), each as a space. Raw,
   * COPY's CSV mode would read a tab as the end of the field and an LF or CR as the end
   * of the row; a space means the same to JSON. Only such a text is looked at byte by byte.
   */
  json(source: Buffer, start: number, end: number, controlWhitespace: boolean): void {
    const from = this.length;
    this.bytes(source, start, end);
    if (!controlWhitespace) return;
    const written = this.buffer.subarray(from, this.length);
    for (const control of CONTROL_WHITESPACE) {
      for (let pos = written.indexOf(control); pos !== -1; pos = written.indexOf(control, pos + 1)) written[pos] = SPACE;
    }
  }

  /** A string of ASCII characters only (a number, a tab): one byte each. */
  ascii(text: string): void {
    this.ensure(text.length);
    this.length += this.buffer.write(text, this.length, 'latin1');
  }

  utf8(text: string): void {
    this.ensure(Buffer.byteLength(text, 'utf8'));
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** What was written (the writer's own memory, no copy), and a fresh buffer for what comes next. */
  take(): Buffer {
    const written = this.buffer.subarray(0, this.length);
    this.buffer = Buffer.allocUnsafe(Math.max(this.initialSize, Math.min(this.length, 16 * 1024 * 1024)));
    this.length = 0;
    return written;
  }
}
