import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Who listens on 127.0.0.1:<port>, as Linux tells it: the listening sockets that
 * would take a connection to that address (bound to 127.0.0.1, to 0.0.0.0, or to ::
 * and ::ffff:127.0.0.1), from /proc/net/tcp and tcp6, and whether each one is a
 * socket the process `pid` holds (its inode among /proc/<pid>/fd). A port known in
 * advance is one another local user can take while the server is down: this is how
 * a client knows that the port is our postmaster's before it sends a password.
 */
export type Listener =
  /** every such socket is the process's own, and there is one */
  | { kind: 'ours' }
  /** nothing listens there */
  | { kind: 'none' }
  /** another process listens there (alone or besides) */
  | { kind: 'other' }
  /** no /proc/net (not Linux): cannot tell */
  | { kind: 'unknown' };

const LISTEN = '0A';
/** 127.0.0.1 and 0.0.0.0 as /proc/net/tcp writes them (each 32-bit word in host order) */
const IPV4_LOOPBACK_OR_ANY = new Set(['0100007F', '7F000001', '00000000']);
/** :: and ::ffff:127.0.0.1 as /proc/net/tcp6 writes them, either byte order */
const IPV6_ANY_OR_MAPPED_LOOPBACK = new Set([
  '00000000000000000000000000000000',
  '0000000000000000FFFF00000100007F',
  '00000000000000000000FFFF7F000001',
]);

/** The inodes of the listening sockets that take connections to 127.0.0.1:`port`; undefined without /proc/net. */
function listeningInodes(port: number): string[] | undefined {
  let readable = false;
  const inodes: string[] = [];
  for (const [file, addresses] of [
    ['/proc/net/tcp', IPV4_LOOPBACK_OR_ANY],
    ['/proc/net/tcp6', IPV6_ANY_OR_MAPPED_LOOPBACK],
  ] as const) {
    let table: string;
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 here, or no /proc
    }
    readable = true;
    for (const line of table.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      const [address, portHex] = (fields[1] ?? '').split(':');
      if (fields[3] !== LISTEN || portHex === undefined || Number.parseInt(portHex, 16) !== port) continue;
      if (addresses.has((address ?? '').toUpperCase()) && fields[9] !== undefined) inodes.push(fields[9]);
    }
  }
  return readable ? inodes : undefined;
}

/** The inodes of the sockets process `pid` holds (empty when it is gone). */
function socketInodesOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return inodes;
    throw new Error(`cannot look at the sockets of process ${pid}: ${(err as Error).message}`, { cause: err });
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Who listens on 127.0.0.1:`port`, judged against process `pid`. */
export function listenerOn(port: number, pid: number): Listener {
  const inodes = listeningInodes(port);
  if (inodes === undefined) return { kind: 'unknown' };
  if (inodes.length === 0) return { kind: 'none' };
  const own = socketInodesOf(pid);
  return inodes.every((inode) => own.has(inode)) ? { kind: 'ours' } : { kind: 'other' };
}

/** Throws unless 127.0.0.1:`port` is the postmaster `pid`'s (or, without /proc, cannot be told): before a password is sent there. */
export function checkPostmasterPort(port: number, pid: number): void {
  const listener = listenerOn(port, pid);
  if (listener.kind === 'ours' || listener.kind === 'unknown') return;
  const why =
    listener.kind === 'none' ? 'nothing listens there (the server stopped)' : `another process listens there, not its postmaster (pid ${pid})`;
  throw new Error(`port ${port} is not the embedded Postgres: ${why}; no password was sent`);
}
