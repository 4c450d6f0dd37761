import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readPid } from './process-alive';

/** What the keeper reports in `.elt/server.json`, for the processes waiting on it. */
export type ServerState =
  | { status: 'ready'; keeperPid: number; port: number; dataDir: string; adopted: boolean; postmasterPid?: number }
  | { status: 'failed'; keeperPid: number; error: string };

/** How the keeper starts the server. */
export interface KeeperOptions {
  /** extra `-c name=value` flags (the tests turn fsync off) */
  postgresFlags: string[];
  /** another installation's bin/ (e.g. Debian's /usr/lib/postgresql/15/bin) instead of the embedded binaries */
  binDir?: string;
}

/** Written aside, then renamed: a reader sees the old state or the new one, never half of one. */
export function writeServerState(path: string, state: ServerState): void {
  const partial = `${path}.${process.pid}`;
  writeFileSync(partial, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(partial, path);
}

export function readServerState(path: string): ServerState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ServerState;
  } catch {
    return undefined;
  }
}

/** The pid in the keeper's pid file, if any. */
export function keeperPidIn(path: string): number | undefined {
  try {
    return readPid(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
