import { Transform, type TransformCallback } from 'node:stream';

/** A pass-through that counts the bytes flowing by and reports them as they pass. */
export class CountBytes extends Transform {
  bytes = 0;

  constructor(private readonly onBytes: (bytes: number) => void = () => {}) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes(chunk.length);
    callback(null, chunk);
  }
}
