import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EltError, ExitCode } from './errors';

/**
 * What the CLI reads and trusts (.elt/: the password, the keeper's pid, the server's
 * state) and the folders it writes into (out/, --out) must not be another account's
 * doing. Trusted: owned by the invoking user or root (as OpenSSH's StrictModes), not
 * writable by its group or others; a folder may be a symbolic link of ours (or root's)
 * to such a folder; a file is never read through a link. Anything else is refused in one
 * line, exit code 2 (usage: the folder is not fit to run in).
 */
export class UntrustedPathError extends EltError {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`refusing ${path}: ${why}`, ExitCode.usage);
    this.name = 'UntrustedPathError';
  }
}

export interface TrustOptions {
  /** besides the invoking user and root, who may own it (the embedded server's account owns its cluster) */
  alsoOwnedBy?: number[];
  /** a folder that must not be a symbolic link, even one of ours */
  noLink?: boolean;
}

const myUid = (): number => process.geteuid?.() ?? -1;
/** More links than this on the way to a folder is a loop (Linux stops at 40 too). */
const MAX_LINKS = 40;

function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'a device';
}

/** Where the link at `path` points, for messages (it may have gone meanwhile). */
function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}

function otherOwner(uid: number, options: TrustOptions): boolean {
  return ![myUid(), 0, ...(options.alsoOwnedBy ?? [])].includes(uid);
}

/** What an entry must be: a regular file, a folder, or either. */
export type EntryKind = 'file' | 'dir' | 'either';

const expected = (kind: EntryKind): string => (kind === 'file' ? 'a regular file' : kind === 'dir' ? 'a folder' : 'a regular file or a folder');

/** Why `stats` cannot be trusted as a `kind`, or undefined when it can. */
export function distrust(stats: Stats, kind: EntryKind, options: TrustOptions = {}): string | undefined {
  if (kind !== 'dir' && !stats.isFile() && !(kind === 'either' && stats.isDirectory()))
    return `${kindOf(stats)}, where ${expected(kind)} was expected`;
  if (kind === 'dir' && !stats.isDirectory()) return `${kindOf(stats)}, where a folder was expected`;
  if (otherOwner(stats.uid, options)) {
    return `it belongs to another account (uid ${stats.uid}; you are uid ${myUid()}), which chose what it holds: remove it, or run as its owner`;
  }
  if ((stats.mode & 0o022) !== 0) {
    const who = (stats.mode & 0o002) !== 0 ? 'any account' : 'its group';
    return `it is writable by ${who} (mode ${(stats.mode & 0o7777).toString(8)}), who could have planted what it holds: if it is yours, chmod go-w it`;
  }
  return undefined;
}

/**
 * Checks the folder at `path`: false when there is none, true when it can be trusted;
 * else throws UntrustedPathError. Each symbolic link on the way must be ours (or root's).
 */
export function checkTrustedDir(path: string, options: TrustOptions = {}): boolean {
  let current = resolve(path);
  let stats = lstatSync(current, { throwIfNoEntry: false });
  if (!stats) return false;
  for (let links = 0; stats.isSymbolicLink(); links += 1) {
    const target = readlinkSync(current);
    if (options.noLink) throw new UntrustedPathError(path, `a symbolic link (to ${target}), where a folder was expected`);
    if (otherOwner(stats.uid, {})) {
      throw new UntrustedPathError(path, `a symbolic link of another account (uid ${stats.uid}; you are uid ${myUid()}), to ${target}: remove it`);
    }
    if (links >= MAX_LINKS) throw new UntrustedPathError(path, `more than ${MAX_LINKS} symbolic links on the way to a folder`);
    current = resolve(dirname(current), target);
    stats = lstatSync(current, { throwIfNoEntry: false });
    if (!stats) throw new UntrustedPathError(path, `a symbolic link to nothing (${target})`);
  }
  const why = distrust(stats, 'dir', options);
  if (why !== undefined) throw new UntrustedPathError(path, current === resolve(path) ? why : `it leads to ${current}: ${why}`);
  return true;
}

/** The folder at `path`, made (with `mode`, and its parents) when missing; refused when untrusted. */
export function ensureTrustedDir(path: string, mode = 0o755, options: TrustOptions = {}): void {
  if (checkTrustedDir(path, options)) return;
  try {
    mkdirSync(path, { recursive: true, mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // what is there now: made here, or by someone quicker
  checkTrustedDir(path, options);
}

/**
 * Opens `path` for reading without following a link (O_NOFOLLOW) and without waiting
 * on a FIFO (O_NONBLOCK); refuses it unless `check` finds the opened file fit. The
 * descriptor is checked, not the name: what is read is what was checked.
 */
function openChecked(path: string, check: (stats: Stats) => string | undefined): { fd: number; stats: Stats } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UntrustedPathError(path, `a symbolic link (to ${linkTarget(path)}), where a regular file was expected`);
    }
    throw err;
  }
  try {
    const stats = fstatSync(fd);
    const why = check(stats);
    if (why !== undefined) throw new UntrustedPathError(path, why);
    return { fd, stats };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Reads at most `maxBytes` from `fd` starting at `position`. */
function readAt(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return buffer.subarray(0, done);
}

/**
 * A regular file's bytes (not through a link, never waiting on a FIFO), refused when
 * larger than `maxBytes`: for inputs the user names (e.g. the chart copied into the docs site).
 */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  const { fd, stats } = openChecked(path, (stats) => (stats.isFile() ? undefined : `${kindOf(stats)}, where a regular file was expected`));
  try {
    if (stats.size > maxBytes) throw new UntrustedPathError(path, `${stats.size} bytes, more than the ${maxBytes} expected`);
    const bytes = readAt(fd, maxBytes + 1, 0);
    if (bytes.length > maxBytes) throw new UntrustedPathError(path, `more than the ${maxBytes} bytes expected`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * A file we trust, as text (a password, a pid, the server's state): a regular file,
 * ours or root's, writable by nobody else, at most `maxBytes` (no planted file makes
 * us read without bound). Throws UntrustedPathError, or the open's error (ENOENT).
 */
export function readTrustedFile(path: string, options: TrustOptions & { maxBytes: number }): string {
  const { fd, stats } = openChecked(path, (stats) => distrust(stats, 'file', options));
  try {
    if (stats.size > options.maxBytes) throw new UntrustedPathError(path, `${stats.size} bytes, more than the ${options.maxBytes} it ever holds`);
    const bytes = readAt(fd, options.maxBytes + 1, 0);
    if (bytes.length > options.maxBytes) throw new UntrustedPathError(path, `more than the ${options.maxBytes} bytes it ever holds`);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The last `maxBytes` of a file we trust (a log that grows without bound), as text. */
export function readTrustedTail(path: string, maxBytes: number): string {
  const { fd, stats } = openChecked(path, (stats) => distrust(stats, 'file'));
  try {
    const start = Math.max(0, stats.size - maxBytes);
    return readAt(fd, Math.min(stats.size, maxBytes), start).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The state of the entry at `path` (not following a link), refused unless it can be trusted as a `kind`; false when missing. */
export function checkTrustedEntry(path: string, kind: EntryKind, options: TrustOptions = {}): boolean {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (!stats) return false;
  if (stats.isSymbolicLink()) throw new UntrustedPathError(path, `a symbolic link (to ${linkTarget(path)}), where ${expected(kind)} was expected`);
  const why = distrust(stats, kind, options);
  if (why !== undefined) throw new UntrustedPathError(path, why);
  return true;
}
