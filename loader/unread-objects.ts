import type { Pool } from 'pg';
import { findListedLoads, isUnchanged } from './ledger';
import type { ObjectResult } from './load-object';
import type { LakeObject } from './sources/lake-object';

/**
 * What becomes of each listed object that need not be read, decided for all of them at
 * once (one statement, findListedLoads), by listing position; undefined for one to load.
 * The version loaded, unchanged by what the listing tells (size and modification time, S3
 * ETag): skipped. The same version again of a recorded duplicate of a load still there
 * (unless duplicates load anyway): a duplicate again. loadObject decides the same for the
 * objects it reads, again under the URI's lock, so a load committed since by another
 * process is never loaded twice.
 */
export async function decideUnread(pool: Pool, objects: LakeObject[], allowDuplicates: boolean): Promise<(ObjectResult | undefined)[]> {
  const listed = await findListedLoads(
    pool,
    objects.map((object) => object.uri),
  );
  return objects.map((object, index) => {
    const { loaded, stoodFor } = listed[index] ?? {};
    const base = { uri: object.uri, bytes: object.size, replaced: false, rows: 0, rejects: 0, ms: 0 };
    if (loaded && isUnchanged(loaded, object)) return { ...base, status: 'skipped' };
    if (!allowDuplicates && stoodFor && isUnchanged(stoodFor.duplicate, object)) {
      return { ...base, status: 'duplicate', duplicateOf: stoodFor.original };
    }
    return undefined;
  });
}
