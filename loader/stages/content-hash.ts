import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A pass-through that hashes the bytes flowing by: placed after gunzip, it gives an
 * object's content id, `sha256:<hex>` of its decompressed bytes, while the object loads
 * (one read, never the whole object in memory). A `.tsv.gz` and the `.tsv` it was made
 * from have one content id, so compressing a loaded day does not load it again.
 */
export class HashBytes extends Transform {
  private readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** The content id of every byte that passed (call once, after the stream ended). */
  contentId(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}
