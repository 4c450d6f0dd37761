import { writeFileAtomic } from '../../core/safe-write';
import { readTrustedFile, UntrustedPathError } from '../../core/trusted-path';
import { readPid } from './process-alive';

/** What the keeper reports in `.elt/server.json`, for the processes waiting on it. */
export type ServerState =
  | { status: 'ready'; keeperPid: number; port: number; dataDir: string; adopted: boolean; postmasterPid?: number; warning?: string }
  | { status: 'failed'; keeperPid: number; error: string };

/** How the keeper starts the server. */
export interface KeeperOptions {
  /** extra `-c name=value` flags (the tests turn fsync off) */
  postgresFlags: string[];
  /** another installation's bin/ (e.g. Debian's /usr/lib/postgresql/15/bin) instead of the embedded binaries */
  binDir?: string;
  /** the port ELT_EMBEDDED_PORT sets (else the one remembered in .elt/port, else a free one) */
  port?: number;
}

/** Written aside, then renamed: a reader sees the old state or the new one, never half of one. */
export function writeServerState(path: string, state: ServerState): void {
  writeFileAtomic(path, `${JSON.stringify(state)}\n`, 0o600);
}

/** The state the keeper wrote, if any (half written or missing: none); refused when another account could have written it. */
export function readServerState(path: string): ServerState | undefined {
  try {
    return JSON.parse(readTrustedFile(path, { maxBytes: 64 * 1024 })) as ServerState;
  } catch (err) {
    if (err instanceof UntrustedPathError) throw err;
    return undefined;
  }
}

/** The pid in the keeper's pid file, if any; refused when another account could have written it (we signal that pid). */
export function keeperPidIn(path: string): number | undefined {
  try {
    return readPid(readTrustedFile(path, { maxBytes: 64 }));
  } catch (err) {
    if (err instanceof UntrustedPathError) throw err;
    return undefined;
  }
}
