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

/**
 * What the embedded server's cluster is made with, besides what the keeper needs (data dir,
 * password, UTF-8, C locale): initdb's own flags, each with why. They take effect only when
 * the cluster is created; one made before keeps what it was made with.
 */
export const EMBEDDED_INITDB_FLAGS: readonly { flag: string; sinceMajor: number; why: string }[] = [
  {
    flag: '--no-data-checksums',
    // before 18, initdb makes no checksums unless asked, and does not know the flag
    sinceMajor: 18,
    why:
      "with data checksums (initdb's default since Postgres 18) the first read of a page after a checkpoint that " +
      'sets its hint bits writes the whole page to the WAL: a build reading raw.raw_events loaded before a checkpoint ' +
      '(always, at a year: the load itself writes gigabytes of WAL), and the data tests reading the tables the build ' +
      "wrote at commit, logged every page of them again (20 days: the build's WAL 429 MB -> 10 MB, docs/benchmarks.md). " +
      'What it gives up is the detection of a page corrupted by the disk; the lake is the source of truth, and a ' +
      'server of your own (DATABASE_URL) keeps its own choice',
  },
];

/** The flags of EMBEDDED_INITDB_FLAGS an initdb that printed `version` (`initdb (PostgreSQL) 18.4`) knows. */
export function initdbFlags(version: string): string[] {
  const major = Number(/\(PostgreSQL\) (\d+)/.exec(version)?.[1] ?? 0);
  return EMBEDDED_INITDB_FLAGS.filter((entry) => major >= entry.sinceMajor).map((entry) => entry.flag);
}

/** The settings as the postmaster's `-c name=value` flags. */
export function embeddedSettingFlags(settings: readonly ServerSetting[] = EMBEDDED_SERVER_SETTINGS): string[] {
  return settings.flatMap((setting) => ['-c', `${setting.name}=${setting.value}`]);
}
