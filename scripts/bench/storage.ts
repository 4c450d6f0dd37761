/**
 * What a database takes on disk after a full run: its size, and each table's and
 * materialized view's of the layers that store rows (raw, intermediate, marts) and of
 * the ledger (elt), each per million events, and the table printed after the goals.
 */
import { Client } from 'pg';
import { formatTextTable } from '../../core/text-table';
import type { Storage } from './types';

/** The schemas whose relations hold rows: the views of staging and elt_engine store nothing. */
export const STORED_SCHEMAS = ['raw', 'intermediate', 'marts', 'elt'] as const;

const MB = 1024 * 1024;

/** Bytes per million events (0 events: 0). */
export const perMillion = (bytes: number, events: number): number => (events > 0 ? Math.round((bytes * 1_000_000) / events) : 0);

/** Reads the database's size and each stored relation's (pg_total_relation_size: heap, indexes and TOAST). */
export async function measureStorage(url: string, covers: { days: number; events: number; lakeBytes: number }): Promise<Storage> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: database } = await client.query<{ bytes: string }>('select pg_database_size(current_database()) as bytes');
    const { rows } = await client.query<{ relation: string; bytes: string }>(
      `select n.nspname || '.' || c.relname as relation, pg_total_relation_size(c.oid) as bytes
         from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = any($1) and c.relkind in ('r', 'm', 'p')
        order by pg_total_relation_size(c.oid) desc, 1`,
      [[...STORED_SCHEMAS]],
    );
    const databaseBytes = Number(database[0]?.bytes ?? 0);
    return {
      ...covers,
      databaseBytes,
      databaseBytesPerMillionEvents: perMillion(databaseBytes, covers.events),
      relations: rows.map((row) => ({
        relation: row.relation,
        bytes: Number(row.bytes),
        bytesPerMillionEvents: perMillion(Number(row.bytes), covers.events),
      })),
    };
  } finally {
    await client.end();
  }
}

const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

/** The storage table: the database, then each relation, with its size, its size per million events and its share. */
export function formatStorage(storage: Storage): string {
  const share = (bytes: number) => (storage.databaseBytes > 0 ? `${((bytes * 100) / storage.databaseBytes).toFixed(1)}%` : '-');
  const rows = [
    [
      `database (${storage.days} days, ${storage.events.toLocaleString('en-US')} events, lake ${mb(storage.lakeBytes)})`,
      mb(storage.databaseBytes),
      mb(storage.databaseBytesPerMillionEvents),
      '100.0%',
    ],
    ...storage.relations.map((relation) => [relation.relation, mb(relation.bytes), mb(relation.bytesPerMillionEvents), share(relation.bytes)]),
  ];
  return formatTextTable(['storage', 'size', 'per million events', 'share'], rows, { align: ['left', 'right', 'right', 'right'] });
}
