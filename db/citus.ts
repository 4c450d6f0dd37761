import type { Pool, PoolClient } from 'pg';
import { describeError, EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';

/**
 * Citus: when the database has the `citus` extension, `elt migrate` and `elt build`
 * lay the tables out over the cluster (docs/guides/citus.md). Everything else runs the
 * same statements as on one Postgres. Which layout applies is read from the catalog
 * (`pg_extension`), never from a flag; on a database without Citus nothing here does
 * anything.
 */

/** How one table sits on a Citus cluster. */
export type Placement =
  /** hash-distributed over the workers on `column`, in the co-location group of `colocateWith` when given */
  | { kind: 'distributed'; column: string; colocateWith?: string }
  /** a full copy on every node */
  | { kind: 'reference' };

/**
 * The tables of the migrations that do not stay on the coordinator. raw.raw_events and
 * raw.rejected_rows grow with history: they are spread over the workers on line_no (their
 * keys, (load_id, line_no), must contain the distribution column; the session id is inside
 * the JSON document, so it cannot be the column here). A load's rows then land on every
 * worker, so the parse of a file into int_events runs on all of them at once. elt.settings
 * is read by the models next to raw and int_events on every worker: a reference table.
 * The ledger (raw.loads), elt.locks and the other bookkeeping stay plain tables on the
 * coordinator, where every elt command connects: their row-by-row updates with clock
 * times, backend pids and row locks then run exactly as on one Postgres.
 */
export const MIGRATED_PLACEMENTS: ReadonlyArray<{ table: string; placement: Placement }> = [
  { table: 'raw.raw_events', placement: { kind: 'distributed', column: 'line_no' } },
  { table: 'raw.rejected_rows', placement: { kind: 'distributed', column: 'line_no', colocateWith: 'raw.raw_events' } },
  { table: 'elt.settings', placement: { kind: 'reference' } },
];

/** True when the connected database has the citus extension. */
export async function hasCitus(client: Pool | PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ citus: boolean }>("select exists (select from pg_extension where extname = 'citus') as citus");
  return rows[0]?.citus === true;
}

/** How `table` is laid out now: 'distributed', 'reference', or undefined (a plain table on the coordinator, or no Citus). */
export async function currentPlacement(client: Pool | PoolClient, table: string): Promise<'distributed' | 'reference' | undefined> {
  if (!(await hasCitus(client))) return undefined;
  const { rows } = await client.query<{ method: string }>('select partmethod as method from pg_dist_partition where logicalrelid = to_regclass($1)', [
    table,
  ]);
  const method = rows[0]?.method;
  if (method === undefined) return undefined;
  return method === 'n' ? 'reference' : 'distributed';
}

/**
 * Lays `table` out as `placement` when it is still a plain table (a table already
 * distributed is left alone). Rows it holds (a single-node database being moved to the
 * cluster) are copied to the shards by Citus, then the coordinator's local copy is emptied.
 * Call it on a Citus database only (see `hasCitus`). Returns true when it distributed it now.
 */
export async function placeTable(client: PoolClient, table: string, placement: Placement): Promise<boolean> {
  if ((await currentPlacement(client, table)) !== undefined) return false;
  try {
    const { rows } = await client.query<{ has_rows: boolean; messages: string }>(
      `select exists (select from ${table}) as has_rows, current_setting('client_min_messages') as messages`,
    );
    // Citus' notices while it copies rows ("Copying data from local table...") are no news: elt logs what it did
    await client.query("select set_config('client_min_messages', 'warning', true)");
    if (placement.kind === 'reference') {
      await client.query('select create_reference_table($1)', [table]);
    } else {
      await client.query('select create_distributed_table($1, $2, colocate_with => $3)', [
        table,
        placement.column,
        placement.colocateWith ?? 'default',
      ]);
    }
    if (rows[0]?.has_rows) await client.query('select truncate_local_data_after_distributing_table($1)', [table]);
    await client.query("select set_config('client_min_messages', $1, true)", [rows[0]?.messages ?? 'notice']);
  } catch (err) {
    const how = placement.kind === 'reference' ? 'a reference table' : `distributed on ${placement.column}`;
    throw new EltError(`cannot make ${table} ${how} on Citus: ${describeError(err)}`, ExitCode.unexpected, { cause: err });
  }
  return true;
}

/**
 * `elt migrate`'s last step on a Citus database (inside its transaction): the migrated
 * tables that grow with history are distributed, the settings made a reference table
 * (MIGRATED_PLACEMENTS). Idempotent; on a database without Citus it does nothing.
 */
export async function applyCitusLayout(client: PoolClient, log: Logger): Promise<string[]> {
  if (!(await hasCitus(client))) return [];
  const placed: string[] = [];
  for (const { table, placement } of MIGRATED_PLACEMENTS) {
    const { rows } = await client.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [table]);
    if (!rows[0]?.exists) continue;
    if (await placeTable(client, table, placement)) {
      placed.push(table);
      log.info(`citus: ${table} is now ${placement.kind === 'reference' ? 'a reference table' : `distributed on ${placement.column}`}`);
    }
  }
  return placed;
}

/**
 * The columns of a unique index on a table distributed on `column`: Citus enforces
 * uniqueness shard by shard, so the index must contain the distribution column. A key
 * that is unique stays unique with a column added.
 */
export function uniqueIndexColumns(uniqueKey: string[], column: string | undefined): string[] {
  return column === undefined || uniqueKey.includes(column) ? uniqueKey : [...uniqueKey, column];
}

/**
 * On Citus the coordinator opens its own connections to the workers as the session's
 * role. For a login with a password (elt query's temporary reader), the coordinator must
 * know that password: it goes into pg_dist_authinfo (superusers only), and out again with
 * `forgetLoginOnWorkers`. A login with `connection limit 1` may hold one connection on
 * each node, so its queries use one connection per worker: the session options returned
 * say so. Without Citus: nothing is done, undefined is returned.
 */
export async function allowLoginOnWorkers(client: PoolClient, role: string, password: string): Promise<string | undefined> {
  if (!(await hasCitus(client))) return undefined;
  await client.query('delete from pg_dist_authinfo where rolename = $1', [role]);
  await client.query('insert into pg_dist_authinfo (nodeid, rolename, authinfo) values (0, $1, $2)', [role, `password=${password}`]);
  return '-c citus.max_adaptive_executor_pool_size=1';
}

/** Removes what `allowLoginOnWorkers` recorded for `role` (nothing without Citus). */
export async function forgetLoginOnWorkers(client: PoolClient, role: string): Promise<void> {
  if (!(await hasCitus(client))) return;
  await client.query('delete from pg_dist_authinfo where rolename = $1', [role]);
}
