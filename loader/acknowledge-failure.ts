import type { Pool } from 'pg';
import { EltError, ExitCode } from '../core/errors';

/** Postgres' SQLSTATE for "permission denied" (insufficient_privilege). */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Acknowledges the failure of the lake object `uri` (its exact URI, as `elt status` prints
 * it): its latest attempt, when failed, gets `acknowledged_at` and `acknowledged_by` (the login) in the
 * ledger, so it no longer needs attention (a file gone from the lake would otherwise stay
 * failed forever). Anything else (an unknown URI, a prefix, an object whose latest attempt
 * loaded, a failure already acknowledged) is a usage error and changes nothing; a login that
 * may not write the ledger (a reader, an analyst) gets a database error.
 */
export async function acknowledgeFailure(pool: Pool, uri: string): Promise<void> {
  let acknowledged: number;
  try {
    const { rowCount } = await pool.query(
      `update raw.loads set acknowledged_at = clock_timestamp(), acknowledged_by = current_user
        where load_id = (select max(load_id) from raw.loads where source_uri = $1 and status <> 'replaced' and stream_id is null)
          and status = 'failed' and acknowledged_at is null`,
      [uri],
    );
    acknowledged = rowCount ?? 0;
  } catch (err) {
    if ((err as { code?: unknown }).code === INSUFFICIENT_PRIVILEGE) {
      throw new EltError(`--ack: this login may not write the ledger (the owner or a loader may): ${(err as Error).message}`, ExitCode.database, {
        cause: err,
      });
    }
    throw err;
  }
  if (acknowledged === 0) {
    throw new EltError(
      `--ack ${JSON.stringify(uri)}: not a failed object of the ledger (give the exact URI elt status prints, of an object whose latest attempt failed and is not yet acknowledged)`,
      ExitCode.usage,
    );
  }
}
