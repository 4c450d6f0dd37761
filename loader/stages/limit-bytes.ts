import { Transform, type TransformCallback } from 'node:stream';
import { SETTINGS } from '../../core/settings/declared-settings';

const MiB = 1024 * 1024;

/** The ratio a gzip object may expand by when none is given: the default of --max-gzip-ratio (declared in core/settings). */
export const DEFAULT_MAX_GZIP_RATIO = SETTINGS.maxGzipRatio.default;

/** Raised when a gzip object decompresses to more bytes than its bound. */
export class DecompressedTooLargeError extends Error {
  constructor(
    readonly limit: number,
    ratio: number,
  ) {
    super(
      `decompresses to over ${Number((limit / MiB).toFixed(1))} MiB (${ratio} times its size, counted as at least 1 MiB: ` +
        `--max-gzip-ratio ${ratio}); not loaded`,
    );
    this.name = 'DecompressedTooLargeError';
  }
}

/** The most bytes a gzip object of `size` bytes may decompress to: `ratio` times its size, an object under 1 MiB counting as 1 MiB. */
export function decompressedLimit(size: number, ratio: number): number {
  return Math.floor(ratio * Math.max(size, MiB));
}

/**
 * A pass-through that fails with DecompressedTooLargeError once more than `limit`
 * bytes have passed (placed after gunzip: a gzip bomb stops there, in bounded time
 * and memory, whatever it would expand to).
 */
export class LimitBytes extends Transform {
  private bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly ratio: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) callback(new DecompressedTooLargeError(this.limit, this.ratio));
    else callback(null, chunk);
  }
}
