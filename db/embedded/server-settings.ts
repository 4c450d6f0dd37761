/**
 * The settings the embedded Postgres chooses for itself, each with why (docs/benchmarks.md
 * has the measurements). They are `-c` flags of the postmaster, placed before the caller's
 * own (`postgresFlags`), which win. A server given by DATABASE_URL keeps its own settings.
 *
 * Measured and not chosen (docs/benchmarks.md): maintenance_work_mem and max_wal_size /
 * checkpoint_timeout showed no effect at 20 days of history; wal_compression=lz4 is not in
 * the embedded binaries (pglz costs CPU on two cores). synchronous_commit stays on: a stream
 * batch is acknowledged to the broker after its commit, and a commit lost in a crash after
 * that acknowledgement would lose the batch (exactly-once needs the commit to be durable).
 */
export interface ServerSetting {
  name: string;
  value: string;
  why: string;
}

export const EMBEDDED_SERVER_SETTINGS: readonly ServerSetting[] = [
  {
    name: 'wal_level',
    value: 'minimal',
    why:
      'a table created and filled in one transaction (a full build fills every incremental model so, then indexes it) ' +
      'is written to disk at commit, not through the WAL: the build writes its rows once, not twice. Still crash-safe; ' +
      'what it gives up is streaming replication and point-in-time recovery of the embedded server, which listens on ' +
      '127.0.0.1 only and offers neither (use your own server through DATABASE_URL for those)',
  },
  { name: 'max_wal_senders', value: '0', why: 'wal_level=minimal requires it (no replication from the embedded server)' },
];

/** The settings as the postmaster's `-c name=value` flags. */
export function embeddedSettingFlags(settings: readonly ServerSetting[] = EMBEDDED_SERVER_SETTINGS): string[] {
  return settings.flatMap((setting) => ['-c', `${setting.name}=${setting.value}`]);
}
