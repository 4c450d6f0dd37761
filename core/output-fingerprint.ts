import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from './safe-write';
import { distrust, readTrustedFile } from './trusted-path';

/**
 * An output a run draws (the chart, the docs site) is drawn again only when what it
 * shows changed: a fingerprint of its inputs is kept beside it, in a small sidecar
 * `.<name>.fingerprint.json` holding that fingerprint and the SHA-256 of each file
 * as written. The output is up to date when the sidecar says the same inputs and
 * every file is still exactly as written: a regular file of ours (or root's), one
 * name, writable by nobody else, with the same bytes. Anything else (a file deleted,
 * edited, turned into a link, given away; a sidecar missing, garbled, planted) means
 * "draw it again", which replaces whatever is there (core/safe-write.ts): nothing
 * found beside an output is ever trusted beyond "it is what we wrote".
 */

/** A sidecar is a few hundred bytes: a larger one is not ours (and is not read whole). */
const MAX_SIDECAR_BYTES = 64 * 1024;

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The fingerprint of a value: SHA-256 of its JSON (keys in the order the caller builds them). */
export function fingerprintOf(value: unknown): string {
  return sha256(JSON.stringify(value) ?? 'undefined');
}

/**
 * The fingerprint of the code that draws an output: the source (or compiled) files of
 * the folder `dir` holding it, and the versions of the packages it draws with. A change
 * to any of them draws the output again, in development as after an upgrade.
 */
export function codeFingerprint(dir: string, packages: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((name) => /\.(ts|js)$/.test(name))
    .sort())
    hash.update(file).update(readFileSync(join(dir, file)));
  for (const name of packages) {
    let version = '?';
    try {
      version = (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version?: string }).version ?? '?';
    } catch {
      // a package whose manifest cannot be resolved counts by its name alone
    }
    hash.update(`${name}@${version}`);
  }
  return hash.digest('hex');
}

interface Sidecar {
  inputs: string;
  /** file name (beside the sidecar) -> SHA-256 of its bytes as written */
  files: Record<string, string>;
}

/** The sidecar that holds the fingerprint of the output whose main file is `mainFile`. */
export function sidecarOf(mainFile: string): string {
  const name = basename(mainFile).replace(/\.[^.]*$/, '');
  return join(dirname(mainFile), `.${name}.fingerprint.json`);
}

function readSidecar(path: string): Sidecar | undefined {
  try {
    const value = JSON.parse(readTrustedFile(path, { maxBytes: MAX_SIDECAR_BYTES })) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const { inputs, files } = value as Partial<Sidecar>;
    if (typeof inputs !== 'string' || typeof files !== 'object' || files === null || Array.isArray(files)) return undefined;
    if (!Object.values(files).every((hash) => typeof hash === 'string')) return undefined;
    return { inputs, files };
  } catch {
    return undefined; // missing, not ours, too large, not JSON: draw again
  }
}

/** SHA-256 of a file that is exactly as we write one (regular, ours, one name, writable by nobody else), else undefined. */
function hashOfOurFile(path: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (distrust(stats, 'file') !== undefined || stats.nlink !== 1 || stats.size > maxBytes) return undefined;
    const hash = createHash('sha256');
    const buffer = Buffer.alloc(Math.min(Math.max(stats.size, 1), 1024 * 1024));
    let total = 0;
    for (let read = readSync(fd, buffer, 0, buffer.length, null); read > 0; read = readSync(fd, buffer, 0, buffer.length, null)) {
      total += read;
      if (total > maxBytes) return undefined;
      hash.update(buffer.subarray(0, read));
    }
    return hash.digest('hex');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * True when the output made of `files` (paths in one folder, that of `sidecar`) was
 * drawn from `inputs` and every file is still as written; false means draw it again.
 * Reads at most `maxBytes` of each file.
 */
export function outputUpToDate(sidecar: string, inputs: string, files: readonly string[], maxBytes: number): boolean {
  const recorded = readSidecar(sidecar);
  if (recorded === undefined || recorded.inputs !== inputs) return false;
  const names = files.map((file) => basename(file));
  if (Object.keys(recorded.files).sort().join('\n') !== [...names].sort().join('\n')) return false;
  return files.every((file) => {
    const expected = recorded.files[basename(file)];
    return expected !== undefined && hashOfOurFile(file, maxBytes) === expected;
  });
}

/** Records, after the files are written, that the output made of `files` was drawn from `inputs`. */
export function recordOutput(sidecar: string, inputs: string, files: readonly { path: string; bytes: string | Uint8Array }[]): void {
  const record: Sidecar = { inputs, files: Object.fromEntries(files.map((file) => [basename(file.path), sha256(file.bytes)])) };
  writeFileAtomic(sidecar, `${JSON.stringify(record, null, 2)}\n`);
}
