/**
 * `npm run bench`: how fast is the ELT, next to the fastest way Postgres itself
 * ingests the same bytes? One run generates a deterministic lake (no malformed
 * rows), then measures, each on a database of its own on one server:
 *   1. baseline     psql `\copy` of every file into a plain five-column table
 *   2. elt load     the real CLI, --concurrency 1 and 2
 *   3. elt build --full and elt refresh, on the loaded database
 *   4. incremental  one more day dropped into the lake, `elt run` (loads that
 *                   file only, refreshes), next to `elt run` from scratch on all days
 * and prints one aligned table on stdout (logs on stderr) and writes the figures,
 * with the machine they ran on, to <out>/bench.json.
 * Database: DATABASE_URL (the role must be allowed to create databases), else one
 * embedded Postgres in a temporary directory, stopped at the end.
 */
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import type { Logger } from '../core/log';
import { redactUrl } from '../db/connect';
import { startEmbeddedServer, type EmbeddedServer } from '../db/embedded-server';
import { describeMachine, type MachineInfo } from './bench-machine';
import { localPostmaster, serverCpuMs } from './bench-proc';
import { STEP_IDS, STEP_LABELS, formatSeconds, formatTable, withRatios, withThroughput, type StepId, type StepResult } from './bench-report';
import { childEnv, failureOf, runChild, runElt, type EltRun } from './bench-run';
import { generateLake, type LakeFile } from '../generator/generate-lake';

export interface BenchOptions {
  /** total events over all days (approximate: the generator's sessions round it) */
  events: number;
  days: number;
  outDir: string;
  /** keep the generated lake (its path is logged and in the JSON) */
  keep: boolean;
  seed: number;
  /** the server to benchmark on; undefined: an embedded one in a temp dir */
  databaseUrl?: string;
  /** psql executable; null: skip the baseline */
  psql: string | null;
}

export interface BenchReport {
  benchmark: 'clickstream-elt';
  date: string;
  totalMs: number;
  /** 1, 5 and 15 minute load averages at the end (machine.loadAverage: at the start) */
  loadAverageAtEnd: number[];
  machine: MachineInfo & { postgres: string | null; postgresSettings: Record<string, string> };
  database: { kind: 'embedded' | 'DATABASE_URL'; server: string; databases: string[] };
  lake: {
    dir: string;
    kept: boolean;
    files: number;
    days: number;
    startDate: string;
    seed: number;
    eventsPerDay: number;
    rows: number;
    bytes: number;
    /** blank lines left out of the baseline's copy of the files (CSV COPY rejects them; elt skips them) */
    blankLinesStripped: number;
    nextDay: { file: string; rows: number; bytes: number };
  };
  steps: StepResult[];
}

const START_DATE = '2019-02-15';
const DAY_MS = 86_400_000;
const BASELINE_TABLE = 'bench_baseline';
/** The baseline: Postgres's own CSV COPY of the file's bytes, the quote byte one that never occurs, as elt's COPY uses. */
const BASELINE_COPY_OPTIONS = "with (format csv, delimiter E'\\t', quote E'\\x01', header)";
const SETTINGS = ['shared_buffers', 'max_wal_size', 'fsync', 'synchronous_commit', 'wal_level', 'work_mem', 'maintenance_work_mem', 'max_parallel_workers_per_gather'];

export const USAGE = `Usage: npm run bench -- [--events 1000000] [--days 10] [--out bench-results/] [--keep]

Benchmarks the ELT on a generated lake: psql \\copy as the baseline, elt load
(--concurrency 1 and 2), elt build --full, elt refresh, and an incremental day
against a full run from scratch. Prints one table on stdout, logs on stderr, and
writes the figures and the machine description to <out>/bench.json.
Database: DATABASE_URL (its role must be allowed to create databases; each step
gets a database of its own, dropped at the end), else an embedded Postgres in a
temporary directory. The baseline needs psql on PATH (skipped otherwise).

  --events <n>    events over all days (default 1000000)
  --days <n>      days, one file each (default 10)
  --out <dir>     where bench.json goes (default bench-results/)
  --keep          keep the generated lake (its path is logged)
  --seed <n>      generator seed (default 42)
  -h, --help      this help

Example: npm run bench -- --events 200000 --days 4 --out /tmp/bench`;

// ---------------------------------------------------------------- helpers

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

function createLogger(): Logger {
  const write = (message: string): void => {
    process.stderr.write(`bench: ${message}\n`);
  };
  return { info: write, warn: (message) => write(`warning: ${message}`), error: (message) => write(`error: ${message}`) };
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const sum = (files: LakeFile[], key: 'rows' | 'bytes'): number => files.reduce((total, file) => total + file[key], 0);
const nextDate = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** The databases of one benchmark, on one server: created per step, all dropped at the end. */
class Databases {
  readonly names: string[] = [];
  private readonly prefix = `elt_bench_${process.pid}_${Date.now().toString(36)}`;

  constructor(
    private readonly admin: Client,
    private readonly serverUrl: string,
  ) {}

  async create(tag: string): Promise<{ name: string; url: string }> {
    const name = `${this.prefix}_${tag}`;
    await this.admin.query(`create database ${name}`);
    this.names.push(name);
    const url = new URL(this.serverUrl);
    url.pathname = `/${name}`;
    return { name, url: url.toString() };
  }

  async drop(name: string): Promise<void> {
    await this.admin.query(`drop database if exists ${name} with (force)`);
  }

  async dropAll(): Promise<void> {
    for (const name of this.names) await this.drop(name);
  }
}

// ---------------------------------------------------------------- the benchmark

export async function runBench(options: BenchOptions, log: Logger): Promise<BenchReport> {
  const started = performance.now();
  const machine = describeMachine();
  const root = await mkdtemp(join(tmpdir(), 'elt-bench-'));
  // as root, the embedded server runs as "postgres", which must reach its data dir below this one
  await chmod(root, 0o755);
  const lakeDir = join(root, 'lake');
  const nextDayDir = join(root, 'next-day');
  const baselineDir = join(root, 'baseline-input');
  let server: EmbeddedServer | undefined;
  let admin: Client | undefined;
  let databases: Databases | undefined;
  let cleaned = false;

  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    try {
      await databases?.dropAll();
    } catch (err) {
      log.warn(`cannot drop the benchmark databases: ${describe(err)}`);
    }
    await admin?.end().catch(() => undefined);
    if (server) {
      log.info('stopping the embedded Postgres');
      await server.stop().catch((err: unknown) => log.warn(`cannot stop the embedded Postgres: ${describe(err)}`));
    }
    if (options.keep) {
      for (const entry of await readdir(root)) {
        if (entry !== 'lake' && entry !== 'next-day') await rm(join(root, entry), { recursive: true, force: true });
      }
      log.info(`kept the lake in ${lakeDir}`);
    } else {
      await rm(root, { recursive: true, force: true });
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    log.warn(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onExit = (): void => {
    if (!cleaned && !options.keep) rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  try {
    // ------------------------------------------------------------ server
    let serverUrl: string;
    if (options.databaseUrl) {
      serverUrl = options.databaseUrl;
      log.info(`server: ${redactUrl(serverUrl)} (DATABASE_URL)`);
    } else {
      server = await startEmbeddedServer(root, log);
      serverUrl = server.url;
    }
    const adminClient = new Client({ connectionString: serverUrl });
    admin = adminClient;
    await adminClient.connect();
    const dbs = new Databases(adminClient, serverUrl);
    databases = dbs;
    const { rows: info } = await adminClient.query<{ version: string; pid: number }>('select current_setting(\'server_version\') as version, pg_backend_pid() as pid');
    const postgresSettings: Record<string, string> = {};
    const { rows: settings } = await adminClient.query<{ name: string; setting: string }>(
      "select name, current_setting(name) as setting from pg_settings where name = any($1) order by name",
      [SETTINGS],
    );
    for (const row of settings) postgresSettings[row.name] = row.setting;
    const postmaster = info[0] ? localPostmaster(info[0].pid) : undefined;
    log.info(`Postgres ${info[0]?.version ?? '?'}; ${postmaster ? `local server (pid ${postmaster}): its CPU time is measured` : 'server CPU time not measured (not a local server)'}`);
    const serverCpu = (): (() => number | undefined) => {
      const before = postmaster ? serverCpuMs(postmaster) : undefined;
      return () => {
        const after = postmaster ? serverCpuMs(postmaster) : undefined;
        return before !== undefined && after !== undefined ? after - before : undefined;
      };
    };
    /** writes what earlier steps left dirty, so it is not charged to the next one */
    const settle = async (): Promise<void> => {
      await adminClient.query('checkpoint').catch(() => undefined);
    };

    // ------------------------------------------------------------ lake
    const eventsPerDay = Math.max(1, Math.round(options.events / options.days));
    log.info(`generating ${options.days} day(s), ~${eventsPerDay.toLocaleString('en-US')} events/day, seed ${options.seed} into ${lakeDir}`);
    const generateStarted = performance.now();
    const lake = await generateLake({ outDir: lakeDir, days: options.days, eventsPerDay, seed: options.seed, malformed: false, startDate: START_DATE });
    const nextDayDate = nextDate(START_DATE, options.days);
    const [nextDay] = await generateLake({ outDir: nextDayDir, days: 1, eventsPerDay, seed: options.seed, malformed: false, startDate: nextDayDate });
    if (!nextDay) throw new Error('the generator wrote no file for the next day');
    const lakeRows = sum(lake, 'rows');
    const lakeBytes = sum(lake, 'bytes');
    log.info(`lake: ${lake.length} files, ${lakeRows.toLocaleString('en-US')} rows, ${(lakeBytes / 1024 / 1024).toFixed(1)} MB, in ${formatSeconds(performance.now() - generateStarted)}`);

    // the baseline's input: the same files without blank lines, streamed (not timed)
    let blankLinesStripped = 0;
    const baselineFiles: string[] = [];
    if (options.psql) {
      await mkdir(baselineDir, { recursive: true });
      for (const file of lake) {
        const target = join(baselineDir, basename(file.path));
        const strip = new StripBlankLines();
        await pipeline(createReadStream(file.path, { highWaterMark: 1024 * 1024 }), strip, createWriteStream(target));
        blankLinesStripped += strip.blankLines;
        baselineFiles.push(target);
      }
      log.info(`baseline input: ${blankLinesStripped} blank line(s) left out (CSV COPY rejects them, elt skips them)`);
    }

    const steps = new Map<StepId, StepResult>();
    const record = (step: StepResult): void => {
      steps.set(step.id, withThroughput(step));
      const done = steps.get(step.id) as StepResult;
      log.info(
        done.status === 'ok'
          ? `${done.label}: ${formatSeconds(done.wallMs ?? 0)}, ${(done.rowsPerSec ?? 0).toLocaleString('en-US')} rows/s`
          : `${done.label}: ${done.status}: ${done.note ?? ''}`,
      );
    };
    const skip = (id: StepId, note: string): void => record({ id, label: STEP_LABELS[id], status: 'skipped', note });
    /** runs one step; a failure is recorded and the benchmark goes on */
    const measure = async (id: StepId, work: () => Promise<Omit<StepResult, 'id' | 'label' | 'status'>>): Promise<boolean> => {
      log.info(`--- ${STEP_LABELS[id]}`);
      await settle();
      try {
        record({ id, label: STEP_LABELS[id], status: 'ok', ...(await work()) });
        return true;
      } catch (err) {
        record({ id, label: STEP_LABELS[id], status: 'failed', note: describe(err) });
        return false;
      }
    };
    const fromElt = (run: EltRun, rows: number, bytes: number, cpu: number | undefined, note?: string): Omit<StepResult, 'id' | 'label' | 'status'> => ({
      wallMs: run.wallMs,
      rows,
      bytes,
      peakMb: run.peakMb,
      clientCpuMs: run.cpuMs,
      serverCpuMs: cpu,
      phasesMs: run.phasesMs,
      modelsMs: Object.keys(run.modelsMs).length > 0 ? run.modelsMs : undefined,
      note,
    });
    /** elt's load summary against what the step should have loaded */
    const loadNote = (run: EltRun, expectedRows: number, expectedLoaded: number): string | undefined => {
      const load = run.load;
      if (!load) return 'no load summary on stdout';
      if (load.failed > 0 || load.rows !== expectedRows || load.loaded !== expectedLoaded) {
        throw new Error(`expected ${expectedLoaded} file(s), ${expectedRows} rows loaded; elt says ${load.loaded} loaded, ${load.failed} failed, ${load.rows} rows, ${load.rejected} rejected`);
      }
      return load.skipped > 0 ? `${load.loaded} file loaded, ${load.skipped} skipped` : undefined;
    };

    // ------------------------------------------------------------ 1. baseline
    const psql = options.psql;
    if (!psql) {
      skip('baseline', 'psql not found on PATH');
    } else {
      await measure('baseline', async () => {
        const db = await dbs.create('baseline');
        const client = new Client({ connectionString: db.url });
        await client.connect();
        let wallMs = 0;
        let clientCpuMs: number | undefined = 0;
        let peakMb = 0;
        let serverCpuMs: number | undefined;
        let copied: number;
        try {
          await client.query(`create table ${BASELINE_TABLE} (ts timestamptz, session_id text, event_name text, user_id text, attributes jsonb)`);
          const cpu = serverCpu();
          for (const file of baselineFiles) {
            const copy = `\\copy ${BASELINE_TABLE} from '${file.replaceAll("'", "''")}' ${BASELINE_COPY_OPTIONS}`;
            const run = await runChild(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-c', copy], { env: childEnv(db.url), log, label: 'psql' });
            if (run.code !== 0) throw new Error(`psql ${failureOf(run)}`);
            wallMs += run.wallMs;
            clientCpuMs = clientCpuMs !== undefined && run.cpuMs !== undefined ? clientCpuMs + run.cpuMs : undefined;
            peakMb = Math.max(peakMb, run.peakRssMb ?? 0);
          }
          serverCpuMs = cpu();
          const { rows } = await client.query<{ count: string }>(`select count(*) as count from ${BASELINE_TABLE}`);
          copied = Number(rows[0]?.count);
        } finally {
          await client.end();
        }
        await dbs.drop(db.name);
        if (copied !== lakeRows) throw new Error(`psql copied ${copied} rows, the lake has ${lakeRows}`);
        return { wallMs, rows: lakeRows, bytes: lakeBytes, peakMb: peakMb || undefined, clientCpuMs, serverCpuMs, note: `${lake.length} psql processes, one per file` };
      });
    }

    // ------------------------------------------------------------ 2. elt load
    await measure('load-c1', async () => {
      const db = await dbs.create('load_c1');
      const cpu = serverCpu();
      const run = await runElt(['load', '--source', lakeDir, '--concurrency', '1'], db.url, log, 'load c=1');
      const serverCpuMs = cpu();
      await dbs.drop(db.name);
      return fromElt(run, lakeRows, lakeBytes, serverCpuMs, loadNote(run, lakeRows, lake.length));
    });
    const main = await dbs.create('main');
    const loaded = await measure('load-c2', async () => {
      const cpu = serverCpu();
      const run = await runElt(['load', '--source', lakeDir, '--concurrency', '2'], main.url, log, 'load c=2');
      return fromElt(run, lakeRows, lakeBytes, cpu(), loadNote(run, lakeRows, lake.length));
    });

    // ------------------------------------------------------------ 3. build and refresh
    let built = false;
    if (!loaded) {
      skip('build-full', 'needs the database elt load --concurrency 2 loaded');
      skip('refresh', 'needs the database elt load --concurrency 2 loaded');
    } else {
      built = await measure('build-full', async () => {
        const cpu = serverCpu();
        const run = await runElt(['build', '--full'], main.url, log, 'build');
        return fromElt(run, lakeRows, lakeBytes, cpu());
      });
      if (!built) skip('refresh', 'needs the built models');
      else {
        await measure('refresh', async () => {
          const cpu = serverCpu();
          const run = await runElt(['refresh'], main.url, log, 'refresh');
          return fromElt(run, lakeRows, lakeBytes, cpu(), 'concurrently (the marts are populated)');
        });
      }
    }

    // ------------------------------------------------------------ 4. incremental, and a full run from scratch
    const nextDayInLake = join(lakeDir, basename(nextDay.path));
    await copyFile(nextDay.path, nextDayInLake);
    if (!built) {
      skip('incremental', 'needs the loaded and built database');
    } else {
      await measure('incremental', async () => {
        const cpu = serverCpu();
        const run = await runElt(['run', '--source', lakeDir, '--output-dir', join(root, 'out-incremental')], main.url, log, 'run +1 day');
        return fromElt(run, nextDay.rows, nextDay.bytes, cpu(), loadNote(run, nextDay.rows, 1));
      });
    }
    await dbs.drop(main.name);
    await measure('full-run', async () => {
      const db = await dbs.create('full');
      const cpu = serverCpu();
      const run = await runElt(['run', '--source', lakeDir, '--output-dir', join(root, 'out-full-run')], db.url, log, 'run all days');
      const serverCpuMs = cpu();
      await dbs.drop(db.name);
      return fromElt(run, lakeRows + nextDay.rows, lakeBytes + nextDay.bytes, serverCpuMs, loadNote(run, lakeRows + nextDay.rows, lake.length + 1));
    });

    return {
      benchmark: 'clickstream-elt',
      date: new Date().toISOString(),
      totalMs: performance.now() - started,
      loadAverageAtEnd: loadavg().map((load) => Math.round(load * 100) / 100),
      machine: { ...machine, postgres: info[0]?.version ?? null, postgresSettings },
      database: { kind: options.databaseUrl ? 'DATABASE_URL' : 'embedded', server: redactUrl(serverUrl), databases: [...dbs.names] },
      lake: {
        dir: lakeDir,
        kept: options.keep,
        files: lake.length,
        days: options.days,
        startDate: START_DATE,
        seed: options.seed,
        eventsPerDay,
        rows: lakeRows,
        bytes: lakeBytes,
        blankLinesStripped,
        nextDay: { file: nextDayInLake, rows: nextDay.rows, bytes: nextDay.bytes },
      },
      steps: withRatios(STEP_IDS.map((id) => steps.get(id) ?? { id, label: STEP_LABELS[id], status: 'skipped', note: 'not reached' })),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
    process.off('exit', onExit);
  }
}

// ---------------------------------------------------------------- CLI

class UsageError extends Error {}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const cleaned = value.replaceAll(/[_,]/g, '');
  if (!/^\d+$/.test(cleaned) || Number(cleaned) < 1) throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return Number(cleaned);
}

/** Reads the command line; undefined for --help. */
function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        events: { type: 'string' },
        days: { type: 'string' },
        out: { type: 'string' },
        keep: { type: 'boolean' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(describe(err)); // parseArgs throws TypeErrors for unknown flags and missing values
  }
}

export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | undefined {
  const values = parseFlags(argv);
  if (values.help) return undefined;
  const options: BenchOptions = {
    events: positiveInteger('events', values.events, 1_000_000),
    days: positiveInteger('days', values.days, 10),
    outDir: resolve(values.out ?? 'bench-results'),
    keep: values.keep ?? false,
    seed: values.seed === undefined ? 42 : positiveInteger('seed', values.seed, 42),
    databaseUrl: env.DATABASE_URL || undefined,
    psql: null,
  };
  if (options.days > options.events) throw new UsageError(`--events (${options.events}) must be at least --days (${options.days})`);
  return options;
}

export async function main(argv: string[]): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message} (see --help)\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = createLogger();
  // a promise that never settles (say, a server that never answers) would end the process quietly, with code 0
  let finished = false;
  process.once('exit', () => {
    if (finished) return;
    process.stderr.write('bench: error: stopped before the end (something never answered)\n');
    process.exitCode = 1;
  });
  const machine = describeMachine();
  options.psql = machine.psql ? 'psql' : null;
  log.info(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.psql ?? 'no psql: the baseline is skipped'}`);
  const report = await runBench(options, log);
  await mkdir(options.outDir, { recursive: true });
  const jsonPath = join(options.outDir, 'bench.json');
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(formatTable(report.steps));
  log.info(`figures written to ${jsonPath}; the benchmark took ${formatSeconds(report.totalMs)}`);
  finished = true;
  return report.steps.some((step) => step.status === 'failed') ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: error: ${describe(err)}\n`);
      process.exitCode = 1;
    },
  );
}
