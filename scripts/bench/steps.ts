/**
 * The benchmark's steps, in the order they run: each a small function that runs one
 * client on a database of its own (or the shared loaded one), checks what it did and
 * returns its figures. elt's figures come from its JSON log lines and, for `elt run`,
 * its summary.json; the rows a step loaded are checked against the lake.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import type { LakeFile } from '../../generator/generate-lake';
import type { LoadSummary } from '../../loader/load-lake';
import { failureOf, readSummary, runChild, runElt } from './run';
import { streamLatency, streamSkipReason, streamThroughput } from './stream';
import type { BenchContext, BenchStep, Database, Figures } from './types';

const BASELINE_TABLE = 'bench_baseline';
/** The baseline: Postgres's own CSV COPY of the file's bytes, the quote byte one that never occurs, as elt's COPY uses. */
const BASELINE_COPY_OPTIONS = "with (format csv, delimiter E'\\t', quote E'\\x01', header)";
const LF = 0x0a;

/** Leaves out empty lines (a blank line is a COPY error in CSV format), streamed; counts them. */
export class StripBlankLines extends Transform {
  blankLines = 0;
  private atLineStart = true;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const parts: Buffer[] = [];
    let start = 0;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.atLineStart && chunk[pos] === LF) {
        if (pos > start) parts.push(chunk.subarray(start, pos));
        this.blankLines += 1;
        pos += 1;
        start = pos;
        continue;
      }
      const newline = chunk.indexOf(LF, pos);
      if (newline === -1) {
        this.atLineStart = false;
        break;
      }
      this.atLineStart = true;
      pos = newline + 1;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
    callback(null, parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }
}

/** Copies of lake files without blank lines (CSV COPY rejects them, elt skips them) into `dir`, streamed, not timed. */
export async function withoutBlankLines(files: readonly LakeFile[], dir: string): Promise<{ files: string[]; blankLines: number }> {
  await mkdir(dir, { recursive: true });
  const copies = { files: [] as string[], blankLines: 0 };
  for (const file of files) {
    const target = join(dir, basename(file.path));
    const strip = new StripBlankLines();
    await pipeline(createReadStream(file.path, { highWaterMark: 1024 * 1024 }), strip, createWriteStream(target));
    copies.blankLines += strip.blankLines;
    copies.files.push(target);
  }
  return copies;
}

/** The baseline's input: the lake files without blank lines. */
export async function prepareBaseline(ctx: BenchContext): Promise<void> {
  ctx.baseline = await withoutBlankLines(ctx.lake.files, join(ctx.root, 'baseline-input'));
  ctx.log.info(`baseline input: ${ctx.baseline.blankLines} blank line(s) left out (CSV COPY rejects them, elt skips them)`);
}

async function query<T>(url: string, sql: string): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as T;
  } finally {
    await client.end();
  }
}

/** One elt run on `db`: its figures, over `rows` and `bytes` of the lake. */
export async function eltFigures(
  ctx: BenchContext,
  args: string[],
  db: Database,
  label: string,
  covers: { rows: number; bytes: number },
): Promise<Figures> {
  const cpu = ctx.serverCpu();
  const run = await runElt(args, db.url, ctx.log, label);
  return {
    wallMs: run.wallMs,
    rows: covers.rows,
    bytes: covers.bytes,
    peakMb: run.peakMb,
    clientCpuMs: run.cpuMs,
    serverCpuMs: cpu(),
    phasesMs: run.phasesMs,
    modelsMs: Object.keys(run.modelsMs).length > 0 ? run.modelsMs : undefined,
  };
}

/** What a load should have done against what it did; a note when it skipped files. */
export function checkLoad(
  done: Pick<LoadSummary, 'loaded' | 'skipped' | 'failed' | 'rows' | 'rejects'>,
  expected: { files: number; rows: number },
): string | undefined {
  if (done.failed > 0 || done.rows !== expected.rows || done.loaded !== expected.files) {
    throw new Error(
      `expected ${expected.files} file(s), ${expected.rows} rows loaded; elt says ${done.loaded} loaded, ${done.failed} failed, ${done.rows} rows, ${done.rejects} rejected`,
    );
  }
  return done.skipped > 0 ? `${done.loaded} file loaded, ${done.skipped} skipped` : undefined;
}

/** `elt load` on `db`, checked in its ledger (raw.loads), which is all this load's. */
async function loadStep(ctx: BenchContext, db: Database, concurrency: number): Promise<Figures> {
  const { lake } = ctx;
  const figures = await eltFigures(ctx, ['load', '--source', lake.dir, '--concurrency', String(concurrency)], db, `load c=${concurrency}`, lake);
  const ledger = await query<{ loaded: number; failed: number; rows: string; rejects: string }>(
    db.url,
    `select count(*) filter (where status = 'loaded')::int as loaded, count(*) filter (where status = 'failed')::int as failed,
            coalesce(sum(row_count) filter (where status = 'loaded'), 0) as rows, coalesce(sum(reject_count) filter (where status = 'loaded'), 0) as rejects
       from raw.loads`,
  );
  const note = checkLoad(
    { ...ledger, skipped: 0, rows: Number(ledger.rows), rejects: Number(ledger.rejects) },
    { files: lake.files.length, rows: lake.rows },
  );
  return { ...figures, note };
}

/** `elt run` on `db` with the lake (the next day in it), checked in its summary.json. */
async function runStep(
  ctx: BenchContext,
  db: Database,
  label: string,
  tag: string,
  expected: { files: number; rows: number; bytes: number },
): Promise<Figures> {
  const { lake } = ctx;
  const nextDayInLake = join(lake.dir, basename(lake.nextDay.path));
  if (!existsSync(nextDayInLake)) await copyFile(lake.nextDay.path, nextDayInLake);
  const outputDir = join(ctx.root, `out-${tag}`);
  const figures = await eltFigures(ctx, ['run', '--source', lake.dir, '--output-dir', outputDir], db, label, expected);
  const load = readSummary(outputDir).load?.summary;
  if (!load) throw new Error(`no load in ${join(outputDir, 'summary.json')}`);
  return { ...figures, note: checkLoad(load, expected) };
}

/** `psql \copy` of each file (one psql process a file) into a plain five-column table of a database of its own, dropped after. */
export async function psqlCopy(ctx: BenchContext, files: string[], covers: { rows: number; bytes: number }, tag: string): Promise<Figures> {
  const { psql } = ctx;
  if (!psql) throw new Error('no psql');
  const db = await ctx.createDatabase(tag);
  await query(db.url, `create table ${BASELINE_TABLE} (ts timestamptz, session_id text, event_name text, user_id text, attributes jsonb)`);
  const cpu = ctx.serverCpu();
  const figures = { wallMs: 0, clientCpuMs: 0 as number | undefined, peakMb: 0 };
  for (const file of files) {
    const copy = `\\copy ${BASELINE_TABLE} from '${file.replaceAll("'", "''")}' ${BASELINE_COPY_OPTIONS}`;
    const run = await runChild(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-c', copy], {
      databaseUrl: db.url,
      log: ctx.log,
      label: 'psql',
    });
    if (run.code !== 0) throw new Error(`psql ${failureOf(run)}`);
    figures.wallMs += run.wallMs;
    figures.clientCpuMs = figures.clientCpuMs !== undefined && run.cpuMs !== undefined ? figures.clientCpuMs + run.cpuMs : undefined;
    figures.peakMb = Math.max(figures.peakMb, run.peakRssMb ?? 0);
  }
  const serverCpuMs = cpu();
  const copied = Number((await query<{ count: string }>(db.url, `select count(*) as count from ${BASELINE_TABLE}`)).count);
  await ctx.dropDatabase(db.name);
  if (copied !== covers.rows) throw new Error(`psql copied ${copied} rows, the lake has ${covers.rows}`);
  return {
    ...figures,
    peakMb: figures.peakMb || undefined,
    rows: covers.rows,
    bytes: covers.bytes,
    serverCpuMs,
    note: `${files.length} psql processes, one per file`,
  };
}

function baseline(ctx: BenchContext): Promise<Figures> {
  if (!ctx.baseline) throw new Error('no baseline input');
  return psqlCopy(ctx, ctx.baseline.files, ctx.lake, 'baseline');
}

const LOADED = { step: 'load-c2', note: 'needs the database elt load --concurrency 2 loaded' } as const;
const mainOf = (ctx: BenchContext): Database => {
  if (!ctx.main) throw new Error('no loaded database');
  return ctx.main;
};

export const STEPS: readonly BenchStep[] = [
  { id: 'baseline', run: baseline },
  {
    id: 'load-c1',
    run: async (ctx) => {
      const db = await ctx.createDatabase('load_c1');
      const figures = await loadStep(ctx, db, 1);
      await ctx.dropDatabase(db.name);
      return figures;
    },
  },
  {
    id: 'load-c2',
    run: async (ctx) => {
      ctx.main = await ctx.createDatabase('main');
      return loadStep(ctx, ctx.main, 2);
    },
  },
  { id: 'build-full', needs: LOADED, run: (ctx) => eltFigures(ctx, ['build', '--full'], mainOf(ctx), 'build', ctx.lake) },
  {
    id: 'refresh',
    needs: { step: 'build-full', note: 'needs the built models' },
    run: async (ctx) => ({
      ...(await eltFigures(ctx, ['refresh'], mainOf(ctx), 'refresh', ctx.lake)),
      note: 'no load since the build: a refresh with nothing to fold in',
    }),
  },
  {
    id: 'incremental',
    needs: { step: 'build-full', note: 'needs the loaded and built database' },
    run: (ctx) => runStep(ctx, mainOf(ctx), 'run +1 day', 'incremental', { files: 1, ...ctx.lake.nextDay }),
  },
  {
    id: 'full-run',
    run: async (ctx) => {
      if (ctx.main) await ctx.dropDatabase(ctx.main.name);
      const db = await ctx.createDatabase('full');
      const { lake } = ctx;
      const figures = await runStep(ctx, db, 'run all days', 'full-run', {
        files: lake.files.length + 1,
        rows: lake.rows + lake.nextDay.rows,
        bytes: lake.bytes + lake.nextDay.bytes,
      });
      await ctx.dropDatabase(db.name);
      return figures;
    },
  },
  {
    id: 'stream',
    skip: streamSkipReason,
    run: async (ctx) => {
      const figures = await streamThroughput(ctx);
      ctx.streamRowsPerSec = figures.wallMs && figures.rows ? (figures.rows * 1000) / figures.wallMs : undefined;
      return figures;
    },
  },
  { id: 'stream-latency', skip: streamSkipReason, run: (ctx) => streamLatency(ctx, ctx.streamRowsPerSec) },
];
