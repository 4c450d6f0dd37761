import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { LakeFormat } from '../../loader/formats';
import { loadObject, type ObjectResult } from '../../loader/load-object';
import { listLocalObjects } from '../../loader/sources/local-source';
import { commitBatch, committedPosition, type CommittedBatch } from '../../loader/stream/stream-ledger';
import { messageParserFor, type StreamFormat } from '../../loader/stream/parse-messages';
import type { TestDatabase } from './test-database';

/**
 * Loads lake files and stream messages in-process through the loader's real paths
 * (loadObject with COPY; commitBatch with parseMessages), and reads back what
 * raw.raw_events and raw.rejected_rows hold, by line (or stream sequence).
 */

/** Writes `content` as `dir/name` and loads it as a file of `format` (content loaded before under another name too), every share of rejects allowed unless told. */
export async function loadFile(
  db: TestDatabase,
  dir: string,
  name: string,
  content: string | Buffer,
  format: LakeFormat,
  maxRejectRatio = 1,
): Promise<ObjectResult> {
  writeFileSync(join(dir, name), content);
  const [object] = listLocalObjects(join(dir, name), format);
  if (!object) throw new Error(`${name} is not listed as ${format}`);
  return loadObject(db.pool, object, { maxRejectRatio, allowDuplicates: true });
}

let streams = 0;

/** Commits `bodies` as one batch of a fresh stream (sequences 1..n), as elt stream does. */
export async function commitMessages(db: TestDatabase, format: StreamFormat, bodies: Buffer[]): Promise<CommittedBatch & { uri: string }> {
  streams += 1;
  const stream = { uri: `nats://test/S${process.pid}_${streams}`, streamId: `test:${process.pid}:${streams}` };
  const after = await committedPosition(db.pool, stream.streamId);
  const messages = bodies.map((data, index) => ({ seq: after + index + 1, data }));
  const batch = await commitBatch(db.pool, stream, { after, last: after + messages.length, messages }, messageParserFor(format));
  return { ...batch, uri: stream.uri };
}

/** The documents a source's loaded rows hold, by line (pg reads jsonb with JSON.parse). */
export async function documentsByLine(db: TestDatabase, uri: string): Promise<Map<number, unknown>> {
  const { rows } = await db.pool.query<{ line_no: number; event: unknown }>(
    "select e.line_no, e.event from raw.raw_events e join raw.loads l using (load_id) where l.source_uri = $1 and l.status = 'loaded'",
    [uri],
  );
  return new Map(rows.map((row) => [row.line_no, row.event]));
}

/** The rejected rows of a source: line and reason, by line. */
export async function rejectsByLine(db: TestDatabase, uri: string): Promise<Map<number, string>> {
  const { rows } = await db.pool.query<{ line_no: number; reason: string }>('select line_no, reason from raw.rejected_rows where source_uri = $1', [
    uri,
  ]);
  return new Map(rows.map((row) => [row.line_no, row.reason]));
}

/** -0 as 0: jsonb keeps no sign on zero, and the sign is no part of the value JSON means. */
function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, withoutNegativeZero(member)]));
  }
  return value;
}

/** True when two parsed JSON values mean the same (key order and the sign of zero aside). */
export function sameJson(loaded: unknown, expected: unknown): boolean {
  return isDeepStrictEqual(withoutNegativeZero(loaded), withoutNegativeZero(expected));
}
