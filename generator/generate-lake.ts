/**
 * The demo lake generator (`elt generate`, `npm start`, the compose seed, tests and the
 * benchmark): writes deterministic, realistic upday-style lake files, one per day
 * (`<YYYY-MM-DD>.tsv` or `.tsv.gz`), in the exact format of
 * the real sample in tests/fixtures/lake-sample/2019-02-15.tsv and the contract in docs/contract.md.
 * It feeds the loader's tests and benchmarks with any volume of data (streamed, never held
 * in memory) and the same bytes for the same options (seeded PRNG, md5 ids from strings).
 *
 * What is in there, and why (each quirk is something the ELT must get right):
 * - users with sessions of card displays (top_news / my_news), some followed a few seconds
 *   later by `article_viewed` of the same article and an `article_closed` whose attributes
 *   have no id/category; a few `app_opened`: the normal traffic.
 * - articles live ~3 days, plus "evergreen" articles shown every day: cumulative clicks grow.
 * - evergreen titles hold `\"`, `\\`, `\n`, `\t`, `\u00e9` / `\ud83d\ude00` escapes, raw é ß 中文
 *   and 😀: the JSON text must reach the database byte for byte.
 * - a few articles carry another title on their clicks: title choice per day is documented.
 * - the first session of each day has a gap over 30 minutes (one MD5(SESSION_ID), two
 *   sessions) and a click without display (ctr > 1 is possible); others do at random.
 * - the last session of each day runs past midnight: its later events go to the next day's
 *   file, while the session belongs to the day it started. Its first event, and a few random
 *   ones, arrive late, in the next day's file ("a day's file may hold events of the day
 *   before"); the first file gets such events from a session of the day before the range,
 *   and the events that would go to the file after the last day are left out. So day N's
 *   file does not depend on `days`: 3 days write the first 3 files of 10.
 * - rows are shuffled in small windows, like the sample: files are not in time order.
 * - malformed rows (~0.1%, at least one of each kind per file) that the spec rejects, and
 *   one blank line that it skips.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { createAtomicWriteStream } from '../core/safe-write';
import { ensureTrustedDir } from '../core/trusted-path';
import { DAY_MS, Lake, type DayOptions } from './lake-days';
import { SETTINGS } from '../core/settings/declared-settings';

export interface LakeOptions extends DayOptions {
  outDir: string;
  /** consecutive days, one file each */
  days: number;
  /** false: write .tsv; true: .tsv.gz */
  gzip: boolean;
}

/** The one set of defaults: `elt generate`, `npm start` and the compose seed write this lake. */
/** The defaults of elt generate's flags, as declared in core/settings. */
export const DEFAULT_LAKE_OPTIONS: Readonly<Omit<LakeOptions, 'outDir'>> = {
  startDate: SETTINGS.start.default,
  days: SETTINGS.days.default,
  /** approximate */
  eventsPerDay: SETTINGS.eventsPerDay.default,
  seed: SETTINGS.seed.default,
  gzip: SETTINGS.gzip.default,
  /** a few malformed rows, every kind (--no-malformed leaves them out) */
  malformed: !SETTINGS.noMalformed.default,
};

export interface LakeFile {
  path: string;
  /** data lines, malformed ones included; the header and the blank line are not counted */
  rows: number;
  malformedRows: number;
  /** size on disk (compressed when gzip) */
  bytes: number;
}

/** A bad option: thrown before any file is written. */
class OptionError extends Error {}

function resolveOptions(options: Partial<LakeOptions> & { outDir: string }): LakeOptions {
  const o: LakeOptions = { ...DEFAULT_LAKE_OPTIONS, ...options };
  if (!o.outDir) throw new OptionError('outDir is required');
  const start = Date.parse(`${o.startDate}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.startDate) || Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== o.startDate) {
    throw new OptionError(`startDate must be a real date YYYY-MM-DD, got '${o.startDate}'`);
  }
  if (!Number.isInteger(o.days) || o.days < 1) throw new OptionError(`days must be a positive integer, got ${o.days}`);
  if (!Number.isInteger(o.eventsPerDay) || o.eventsPerDay < 1)
    throw new OptionError(`eventsPerDay must be a positive integer, got ${o.eventsPerDay}`);
  if (!Number.isInteger(o.seed)) throw new OptionError(`seed must be an integer, got ${o.seed}`);
  return o;
}

/** Writes one file per day into outDir; the same options write the same bytes. */
export async function generateLake(options: Partial<LakeOptions> & { outDir: string }): Promise<LakeFile[]> {
  const o = resolveOptions(options);
  ensureTrustedDir(o.outDir);
  const lake = new Lake(o);
  const files: LakeFile[] = [];
  for (let d = 0; d < o.days; d++) {
    const date = new Date(Date.parse(`${o.startDate}T00:00:00Z`) + d * DAY_MS).toISOString().slice(0, 10);
    const file = path.join(o.outDir, `${date}.tsv${o.gzip ? '.gz' : ''}`);
    const source = Readable.from(lake.day(d));
    // a new file beside it, renamed over it when complete: never written through a planted link
    const target = createAtomicWriteStream(file);
    const stages: [Readable, ...Transform[], fs.WriteStream] = o.gzip ? [source, createGzip(), target.stream] : [source, target.stream];
    try {
      await pipeline(stages);
      target.commit();
    } catch (err) {
      target.discard();
      throw err;
    }
    const { size } = await fs.promises.stat(file);
    files.push({ path: file, rows: lake.rows, malformedRows: lake.malformedRows, bytes: size });
  }
  return files;
}
