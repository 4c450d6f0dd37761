import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { EltError, ExitCode } from '../cli/errors';
import { describeExtensions, type LakeFormat } from './lake-format';
import { isLakeFileName, type LakeObject } from './lake-object';

/** sha256 of a file, streamed (never the whole file in memory). */
async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}

function localObject(path: string, stats: Stats, format: LakeFormat): LakeObject {
  return {
    uri: pathToFileURL(path).href,
    format,
    size: stats.size,
    modifiedAt: stats.mtime,
    gzip: path.endsWith('.gz'),
    contentId: () => sha256File(path),
    // 64 KiB reads: 1 MiB ones measured the same speed but twice the peak memory (225 vs 129 MB)
    open: async () => createReadStream(path, { highWaterMark: 64 * 1024 }),
  };
}

/**
 * The lake objects at a local path: the file itself, or the files of `format`
 * (by default `*.tsv` and `*.tsv.gz`) directly in a directory, in name order
 * (so days load in order).
 * Throws an EltError (exit code 2) for a missing path or a directory without lake files.
 */
export function listLocalObjects(source: string, format: LakeFormat = 'tsv-lake'): LakeObject[] {
  const path = resolve(source);
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    throw new EltError(`source not found: ${source} (give a directory of *.tsv / *.tsv.gz files, or one such file)`, ExitCode.usage);
  }
  if (stats.isFile()) return [localObject(path, stats, format)];
  const names = readdirSync(path).filter((name) => isLakeFileName(name, format)).sort();
  if (names.length === 0) {
    throw new EltError(`no ${describeExtensions(format).replace(/, ([^,]*)$/, ' or $1')} files in ${source}`, ExitCode.usage);
  }
  return names.map((name) => localObject(join(path, name), statSync(join(path, name)), format));
}
