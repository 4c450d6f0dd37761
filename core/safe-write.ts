import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  createWriteStream,
  fstatSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  type WriteStream,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { distrust, UntrustedPathError } from './trusted-path';

/**
 * Every file the CLI writes goes through here, so that nothing planted where it
 * writes (a symbolic link to a file of the user's, a hard link) is written through:
 * a new file is made beside the target (O_CREAT|O_EXCL|O_NOFOLLOW: never an existing
 * file, never through a link) and renamed over it, which replaces a link instead of
 * following it; a reader sees the old file or the new one, never half of one. The
 * folder itself is checked by the caller (ensureTrustedDir in trusted-path.ts).
 */

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** A name beside `path` that nobody can have guessed in advance: .<name>.<pid>.<random>.tmp */
function temporaryBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `data` to `path` as a new file (mode `mode`, less the umask), renamed over whatever was there. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const temporary = temporaryBeside(path);
  const fd = openSync(temporary, CREATE_NEW, mode);
  try {
    try {
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
}

/** A stream into a new file beside `path`: commit() renames it over `path` once the stream has finished; discard() removes it. */
export interface AtomicWriteStream {
  stream: WriteStream;
  commit(): void;
  discard(): void;
}

export function createAtomicWriteStream(path: string, mode = 0o644): AtomicWriteStream {
  const temporary = temporaryBeside(path);
  const fd = openSync(temporary, CREATE_NEW, mode);
  return {
    stream: createWriteStream(temporary, { fd }),
    commit: () => renameSync(temporary, path),
    discard: () => rmSync(temporary, { force: true }),
  };
}

/**
 * Opens the log at `path` for appending (made with `mode` when missing): never through a
 * link (O_NOFOLLOW), never a FIFO (O_NONBLOCK: no waiting for a reader), and only a
 * regular file of ours with a single name (no hard link to someone's file), writable
 * by nobody else. Returns the descriptor; the caller closes it.
 */
export function openLogForAppend(path: string, mode = 0o600): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new UntrustedPathError(path, 'a symbolic link, where a log file was expected');
    if (code === 'ENXIO') throw new UntrustedPathError(path, 'a FIFO, where a log file was expected');
    throw err;
  }
  try {
    const stats = fstatSync(fd);
    const why =
      distrust(stats, 'file') ?? (stats.nlink > 1 ? `a file with ${stats.nlink} names (a hard link), where a log file was expected` : undefined);
    if (why !== undefined) throw new UntrustedPathError(path, why);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Appends `text` to the log at `path` (see openLogForAppend). */
export function appendToLog(path: string, text: string, mode = 0o600): void {
  const fd = openLogForAppend(path, mode);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
