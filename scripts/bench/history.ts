/**
 * The history-scaling steps of `npm run bench`: does a day's run cost the same on a
 * short and a long history, and how close is a full run of the long history to
 * Postgres's own ingest of the same bytes? One generated pool of days (the same day
 * size throughout) gives two lakes, the first `short` and the first `long` days, and
 * the days after each, which are added one at a time (and, for the year step, a `mid`
 * lake of the first 60 days, so its figures come from the same days):
 *   history-day-baseline  psql \copy of one next day's file (median of the repeats)
 *   history-mid-baseline  psql \copy of the mid lake's files (skipped without a mid length)
 *   history-mid-full      elt run of the mid lake on a fresh database
 *   history-baseline      psql \copy of the long lake's files
 *   history-full          elt run of the long lake on a fresh database, then its size (storage.ts)
 *   history-long          on that database, `elt run` after each next day (median of the repeats)
 *   history-short         the same on the short lake (its first full run is not timed)
 */
import { copyFile, link, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { formatMs } from '../../core/log';
import { generateLake, type LakeFile } from '../../generator/generate-lake';
import { readSummary } from './run';
import { checkLoad, eltFigures, psqlCopy, withoutBlankLines } from './steps';
import { measureStorage } from './storage';
import type { BenchContext, BenchStep, Database, Figures, History, HistoryLake, HistoryOptions } from './types';

const total = (files: LakeFile[], key: 'rows' | 'bytes'): number => files.reduce((sum, file) => sum + file[key], 0);

/** A lake folder of hard links (copies where linking fails) to the pool's first `days` files. */
async function lakeOf(pool: LakeFile[], days: number, repeats: number, dir: string): Promise<HistoryLake> {
  await mkdir(dir, { recursive: true });
  const files = pool.slice(0, days);
  for (const file of files) await link(file.path, join(dir, basename(file.path))).catch(() => copyFile(file.path, join(dir, basename(file.path))));
  return { days, dir, files, rows: total(files, 'rows'), bytes: total(files, 'bytes'), next: pool.slice(days, days + repeats) };
}

/** Generates the pool of days once (long + repeats days), then the two lakes and the baseline's input. */
export async function prepareHistory(ctx: BenchContext, options: HistoryOptions): Promise<History> {
  const root = join(ctx.root, 'history');
  const started = performance.now();
  const pool = await generateLake({
    outDir: join(root, 'pool'),
    days: options.longDays + options.repeats,
    eventsPerDay: options.eventsPerDay,
    seed: options.seed,
    malformed: false,
    startDate: options.startDate,
  });
  const short = await lakeOf(pool, options.shortDays, options.repeats, join(root, `lake-${options.shortDays}`));
  const long = await lakeOf(pool, options.longDays, options.repeats, join(root, `lake-${options.longDays}`));
  const mid = options.midDays === undefined ? undefined : await lakeOf(pool, options.midDays, 0, join(root, `lake-${options.midDays}`));
  const baselineFiles = ctx.psql ? (await withoutBlankLines(long.files, join(root, 'baseline-input'))).files : [];
  const nextBaselineFiles = ctx.psql ? (await withoutBlankLines(long.next, join(root, 'baseline-next'))).files : [];
  ctx.log.info(
    `history lakes: ${[options.shortDays, options.midDays, options.longDays].filter((n) => n !== undefined).join(', ')} days of ~${options.eventsPerDay.toLocaleString('en-US')} events (${long.rows.toLocaleString('en-US')} rows), ${options.repeats} next day(s) each, in ${formatMs(performance.now() - started)}`,
  );
  return { options, short, long, mid, baselineFiles, nextBaselineFiles };
}

const historyOf = (ctx: BenchContext): History => {
  if (!ctx.history) throw new Error('no history lakes');
  return ctx.history;
};

/** `elt run` on `db` over `lake`'s folder: all its files, or the one just added. */
async function runLake(
  ctx: BenchContext,
  db: Database,
  lake: HistoryLake,
  label: string,
  expected: { files: number; rows: number; bytes: number },
): Promise<Figures> {
  const outputDir = join(ctx.root, 'history', `out-${label.replaceAll(/\W+/g, '-')}`);
  const figures = await eltFigures(ctx, ['run', '--source', lake.dir, '--output-dir', outputDir], db, label, expected);
  const load = readSummary(outputDir).load?.summary;
  if (!load) throw new Error(`no load in ${join(outputDir, 'summary.json')}`);
  return { ...figures, note: checkLoad(load, expected) };
}

/** Adds the lake's next days one at a time, `elt run` after each: the median run's figures, with every wall time in the note. */
async function plusOneDay(ctx: BenchContext, db: Database, lake: HistoryLake): Promise<Figures> {
  const runs: Figures[] = [];
  for (const [index, day] of lake.next.entries()) {
    await link(day.path, join(lake.dir, basename(day.path))).catch(() => copyFile(day.path, join(lake.dir, basename(day.path))));
    const figures = await runLake(ctx, db, lake, `run +1 day on ${lake.days + index} days`, { files: 1, rows: day.rows, bytes: day.bytes });
    runs.push(figures);
  }
  const middle = median(runs, (run) => run.wallMs ?? 0);
  if (!middle) throw new Error('no next day to add');
  const walls = runs.map((run) => formatMs(run.wallMs ?? 0)).join(', ');
  return { ...middle, note: `median of ${runs.length} (${walls}), each 1 new file of ~${lake.next[0]?.rows.toLocaleString('en-US')} rows` };
}

const days = (lake: 'short' | 'mid' | 'long') => (ctx: BenchContext) => ` ${ctx.history?.[lake]?.days ?? '?'} days`;

const median = <T>(values: T[], key: (value: T) => number): T | undefined =>
  [...values].sort((a, b) => key(a) - key(b))[Math.floor((values.length - 1) / 2)];

/** psql \copy of each next day's file on its own (one process, an empty table), the median's figures, every wall time in the note. */
async function copyOneDay(ctx: BenchContext, history: History): Promise<Figures> {
  const runs: Figures[] = [];
  for (const [index, file] of history.nextBaselineFiles.entries()) {
    const day = history.long.next[index] as LakeFile;
    runs.push(await psqlCopy(ctx, [file], day, `history_day_${index + 1}`));
  }
  const middle = median(runs, (run) => run.wallMs ?? 0);
  if (!middle) throw new Error('no next day to copy');
  const walls = runs.map((run) => formatMs(run.wallMs ?? 0)).join(', ');
  return { ...middle, note: `median of ${runs.length} (${walls}), one psql process, one file, process start included` };
}

const noMid = (ctx: BenchContext): string | undefined =>
  ctx.history?.mid ? undefined : 'no middle length (--history-days <short>,<mid>,<long>, or --year)';

export const HISTORY_STEPS: readonly BenchStep[] = [
  {
    id: 'history-day-baseline',
    skip: (ctx) => (ctx.psql ? undefined : 'psql not found on PATH'),
    run: (ctx) => copyOneDay(ctx, historyOf(ctx)),
  },
  {
    id: 'history-mid-baseline',
    labelSuffix: days('mid'),
    skip: (ctx) => (ctx.psql ? noMid(ctx) : 'psql not found on PATH'),
    run: (ctx) => {
      const { mid, baselineFiles } = historyOf(ctx);
      if (!mid) throw new Error('no mid lake');
      return psqlCopy(ctx, baselineFiles.slice(0, mid.days), mid, 'history_mid_baseline');
    },
  },
  {
    id: 'history-mid-full',
    labelSuffix: days('mid'),
    skip: noMid,
    run: async (ctx) => {
      const { mid } = historyOf(ctx);
      if (!mid) throw new Error('no mid lake');
      const db = await ctx.createDatabase('history_mid');
      const figures = await runLake(ctx, db, mid, `run ${mid.days} days`, { files: mid.files.length, rows: mid.rows, bytes: mid.bytes });
      await ctx.dropDatabase(db.name);
      return figures;
    },
  },
  {
    id: 'history-baseline',
    labelSuffix: days('long'),
    skip: (ctx) => (ctx.psql ? undefined : 'psql not found on PATH'),
    run: (ctx) => {
      const { long, baselineFiles } = historyOf(ctx);
      return psqlCopy(ctx, baselineFiles, long, 'history_baseline');
    },
  },
  {
    id: 'history-full',
    labelSuffix: days('long'),
    run: async (ctx) => {
      const history = historyOf(ctx);
      history.longDatabase = await ctx.createDatabase('history_long');
      const { long } = history;
      const figures = await runLake(ctx, history.longDatabase, long, `run ${long.days} days`, {
        files: long.files.length,
        rows: long.rows,
        bytes: long.bytes,
      });
      history.storage = await measureStorage(history.longDatabase.url, { days: long.days, events: long.rows, lakeBytes: long.bytes });
      return figures;
    },
  },
  {
    id: 'history-long',
    labelSuffix: days('long'),
    needs: { step: 'history-full', note: 'needs the database of the long history' },
    run: async (ctx) => {
      const history = historyOf(ctx);
      if (!history.longDatabase) throw new Error('no database of the long history');
      const figures = await plusOneDay(ctx, history.longDatabase, history.long);
      await ctx.dropDatabase(history.longDatabase.name);
      return figures;
    },
  },
  {
    id: 'history-short',
    labelSuffix: days('short'),
    run: async (ctx) => {
      const { short } = historyOf(ctx);
      const db = await ctx.createDatabase('history_short');
      await runLake(ctx, db, short, `run ${short.days} days`, { files: short.files.length, rows: short.rows, bytes: short.bytes });
      const figures = await plusOneDay(ctx, db, short);
      await ctx.dropDatabase(db.name);
      return figures;
    },
  },
];
