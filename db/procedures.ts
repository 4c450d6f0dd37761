import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolClient } from 'pg';
import { EltError, ExitCode } from '../core/errors';

/** A procedure file: `db/procedures/<name>.sql`, applied whole (`create or replace`). */
export interface ProcedureFile {
  name: string;
  path: string;
  sql: string;
  checksum: string;
}

/** The `*.sql` files of `dir`, in name order, with the sha256 of each. */
export function listProcedureFiles(dir: string): ProcedureFile[] {
  if (!existsSync(dir)) throw new EltError(`procedures folder ${dir} does not exist`, ExitCode.unexpected);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return { name: file, path: join(dir, file), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies the procedure files whose text changed since they were last applied (all of
 * them on a database that has none recorded), in name order, on `client` (inside the
 * caller's transaction: migrate's), and records their checksums in elt.procedures.
 * Needs elt.procedures (migration 0015): before it, nothing is applied.
 * Returns the names of the files applied.
 */
export async function applyProcedures(client: PoolClient, dir: string, onApply: (name: string) => void = () => undefined): Promise<string[]> {
  const { rows: ready } = await client.query<{ ok: boolean }>("select to_regclass('elt.procedures') is not null as ok");
  if (!ready[0]?.ok) return [];
  const files = listProcedureFiles(dir);
  const { rows } = await client.query<{ name: string; checksum: string }>('select name, checksum from elt.procedures');
  const applied = new Map(rows.map((row) => [row.name, row.checksum]));
  const changed = files.filter((file) => applied.get(file.name) !== file.checksum);
  for (const file of changed) {
    onApply(file.name);
    try {
      await client.query(file.sql);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new EltError(`procedure file ${file.path} failed: ${message}`, ExitCode.unexpected, { cause: err });
    }
    await client.query(
      `insert into elt.procedures (name, checksum) values ($1, $2)
       on conflict (name) do update set checksum = excluded.checksum, applied_at = now()`,
      [file.name, file.checksum],
    );
  }
  return changed.map((file) => file.name);
}
