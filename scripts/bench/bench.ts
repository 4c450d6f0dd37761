/**
 * `npm run bench`: how fast is the ELT, next to the fastest way Postgres itself
 * ingests the same bytes? One run generates a deterministic lake (no malformed
 * rows), then measures, each on a database of its own on one server:
 *   1. baseline     psql `\copy` of every file into a plain five-column table
 *   2. elt load     the real CLI, --concurrency 1 and 2
 *   3. elt build --full and elt refresh, on the loaded database
 *   4. incremental  one more day dropped into the lake, `elt run` (loads that
 *                   file only, refreshes), next to `elt run` from scratch on all days
 *   5. history      the same day size on a short and a long history (10 and 60 days of
 *                   20,000 events; --year: 10 and 365, with a full run of 60 from the
 *                   same days): +1 day on each next to psql \copy of that day's file,
 *                   a full run of the long one next to psql \copy of its files, and
 *                   the size of its database, relation by relation (history.ts, storage.ts)
 *   6. elt stream   the lake published to a loopback nats-server, consumed with
 *                   --until-idle (events/s next to the file loader's rows/s), and the
 *                   latency from publish to a mart at a steady publish rate
 * and prints one aligned table on stdout, then the goals with their figures (logs on
 * stderr), and writes the figures, the goals and the machine to <out>/bench.json.
 * Database: DATABASE_URL (the role must be allowed to create databases), else one
 * embedded Postgres in a temporary directory, stopped at the end.
 */
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { formatMs, type Logger } from '../../core/log';
import { redactUrl } from '../../db/connect';
import { startEmbeddedServer, type EmbeddedServer } from '../../db/embedded-server';
import { generateLake } from '../../generator/generate-lake';
import { benchGoals, formatGoals, type Goal } from './goals';
import { HISTORY_STEPS, prepareHistory } from './history';
import { describeMachine, type MachineInfo } from './machine';
import { EntryError, prepareEltEntry, type EltEntry } from './elt-entry';
import { PROJECT_ROOT } from './run';
import { formatStorage } from './storage';
import { localPostmaster, serverCpuMs } from './proc';
import { STEP_IDS, STEP_LABELS, formatTable, withGoals, withRatios, withThroughput, type StepResult } from './report';
import { prepareBaseline, STEPS } from './steps';
import type { BenchContext, HistoryOptions, Storage } from './types';

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
  /** the stream latency step: seconds of steady publishing, and elt stream's refresh cadence */
  streamSeconds: number;
  refreshEverySeconds: number;
  /** the history-scaling steps; undefined: skipped */
  history?: Omit<HistoryOptions, 'seed' | 'startDate'>;
  /** run elt from the TypeScript sources when dist/ is stale, instead of building it first (scripts/bench/elt-entry.ts) */
  fromSource: boolean;
  /** the code elt runs, once prepareEltEntry has decided (main does, before runBench) */
  eltEntry?: EltEntry;
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
  /** the history steps' lakes: the same day size at two lengths */
  history: {
    shortDays: number;
    midDays: number | null;
    longDays: number;
    eventsPerDay: number;
    repeats: number;
    longRows: number;
    longBytes: number;
  } | null;
  /** the long history's database after its full run: its size and each relation's, per million events */
  storage: Storage | null;
  steps: StepResult[];
  goals: Goal[];
}

const START_DATE = '2019-02-15';
const DAY_MS = 86_400_000;
const SETTINGS = [
  'shared_buffers',
  'max_wal_size',
  'fsync',
  'synchronous_commit',
  'wal_level',
  'work_mem',
  'maintenance_work_mem',
  'max_parallel_workers_per_gather',
];

/** The year step: the history lengths --year stands for. */
export const YEAR_HISTORY_DAYS = '10,60,365';

export const USAGE = `Usage: npm run bench -- [--events 1000000] [--days 10] [--out bench-results/] [--keep] [--year]

Benchmarks the ELT on a generated lake: psql \\copy as the baseline, elt load
(--concurrency 1 and 2), elt build --full, elt refresh, and an incremental day
against a full run from scratch; then the same day size on a short and a long
history (+1 day on each next to psql \\copy of that day's file, a full run of the
long one next to psql \\copy of it, and its database's size relation by relation);
then, on a loopback nats-server (skipped when
nats-server is not installed), elt stream --until-idle over the same events and the
latency from publish to a mart at a steady rate. Prints one table on stdout, then
each goal beside its figure (met or MISSED), logs on stderr, and writes the figures,
the goals and the machine description to <out>/bench.json.
Database: DATABASE_URL (its role must be allowed to create databases; each step
gets a database of its own, dropped at the end), else an embedded Postgres in a
temporary directory. The baseline needs psql on PATH (skipped otherwise).

  --events <n>    events over all days (default 1000000)
  --days <n>      days, one file each (default 10)
  --out <dir>     where bench.json goes (default bench-results/)
  --keep          keep the generated lake (its path is logged)
  --seed <n>      generator seed (default 42)
  --stream-seconds <n>         the stream latency step publishes this long (default 20)
  --refresh-every-seconds <n>  elt stream's refresh cadence in that step (default 10, elt's own)
  --history-days <short>,[<mid>,]<long>  the history steps' lengths (default 10,60; off: skip
                  them); a <mid> length gets a full run and psql \\copy of its first days too
  --year          the year step: --history-days ${YEAR_HISTORY_DAYS} (about 15 minutes on 2 cores
                  for that step alone, a 3.8 GB lake and about 8 GB of database on disk)
  --history-events-per-day <n>   their day size (default 20000)
  --history-repeats <n>          +1 day runs on each, the median is reported (default 3)
  --from-source   when dist/ is stale, run elt from the TypeScript sources (tsx compiles at
                  every start) instead of building dist/ first (npm run build); the machine
                  description says which code ran
  -h, --help      this help

Example: npm run bench -- --events 200000 --days 4 --out /tmp/bench
The year step alone: npm run bench -- --events 20000 --days 1 --year`;

function createLogger(): Logger {
  const write = (message: string): void => {
    process.stderr.write(`bench: ${message}\n`);
  };
  return { info: write, warn: (message) => write(`warning: ${message}`), error: (message) => write(`error: ${message}`) };
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const nextDate = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

// ---------------------------------------------------------------- the benchmark

/** Runs the steps in order; a step that fails is recorded and the benchmark goes on (the steps that need it are skipped). */
async function runSteps(ctx: BenchContext, settle: () => Promise<void>): Promise<StepResult[]> {
  const results = new Map<string, StepResult>();
  const steps = [...STEPS, ...HISTORY_STEPS].sort((a, b) => STEP_IDS.indexOf(a.id) - STEP_IDS.indexOf(b.id));
  for (const step of steps) {
    let result: StepResult;
    const skip = step.id.startsWith('history') && !ctx.history ? 'skipped by --history-days off' : step.skip?.(ctx);
    const label = `${STEP_LABELS[step.id]}${skip ? '' : (step.labelSuffix?.(ctx) ?? '')}`;
    if (step.id === 'baseline' && !ctx.psql) result = { id: step.id, label, status: 'skipped', note: 'psql not found on PATH' };
    else if (skip) result = { id: step.id, label, status: 'skipped', note: skip };
    else if (step.needs && results.get(step.needs.step)?.status !== 'ok') result = { id: step.id, label, status: 'skipped', note: step.needs.note };
    else {
      ctx.log.info(`--- ${label}`);
      await settle();
      try {
        result = withThroughput({ id: step.id, label, status: 'ok', ...(await step.run(ctx)) });
      } catch (err) {
        result = { id: step.id, label, status: 'failed', note: describe(err) };
      }
    }
    results.set(step.id, result);
    ctx.log.info(
      result.status === 'ok'
        ? `${label}: ${formatMs(result.wallMs ?? 0)}, ${(result.rowsPerSec ?? 0).toLocaleString('en-US')} rows/s`
        : `${label}: ${result.status}: ${result.note ?? ''}`,
    );
  }
  return withGoals(withRatios(STEP_IDS.map((id) => results.get(id) ?? { id, label: STEP_LABELS[id], status: 'skipped', note: 'not reached' })));
}

export async function runBench(options: BenchOptions, log: Logger): Promise<BenchReport> {
  const started = performance.now();
  const machine = describeMachine(options.eltEntry);
  const root = await mkdtemp(join(tmpdir(), 'elt-bench-'));
  // as root, the embedded server runs as "postgres", which must reach its data dir below this one
  await chmod(root, 0o755);
  const lakeDir = join(root, 'lake');
  const prefix = `elt_bench_${process.pid}_${Date.now().toString(36)}`;
  const databases: string[] = [];
  let server: EmbeddedServer | undefined;
  let admin: Client | undefined;
  let cleaned = false;

  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    try {
      for (const name of databases) await admin?.query(`drop database if exists ${name} with (force)`);
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
    if (options.databaseUrl) log.info(`server: ${redactUrl(options.databaseUrl)} (DATABASE_URL)`);
    else server = await startEmbeddedServer(root, log);
    const serverUrl = options.databaseUrl ?? (server as EmbeddedServer).url;
    const adminClient = new Client({ connectionString: serverUrl });
    admin = adminClient;
    await adminClient.connect();
    const { rows: info } = await adminClient.query<{ version: string; pid: number }>(
      "select current_setting('server_version') as version, pg_backend_pid() as pid",
    );
    const { rows: settings } = await adminClient.query<{ name: string; setting: string }>(
      'select name, current_setting(name) as setting from pg_settings where name = any($1) order by name',
      [SETTINGS],
    );
    const postgresSettings = Object.fromEntries(settings.map((row) => [row.name, row.setting]));
    const postmaster = info[0] ? localPostmaster(info[0].pid) : undefined;
    log.info(
      `Postgres ${info[0]?.version ?? '?'}; ${postmaster ? `local server (pid ${postmaster}): its CPU time is measured` : 'server CPU time not measured (not a local server)'}`,
    );

    // ------------------------------------------------------------ lake
    const eventsPerDay = Math.max(1, Math.round(options.events / options.days));
    log.info(`generating ${options.days} day(s), ~${eventsPerDay.toLocaleString('en-US')} events/day, seed ${options.seed} into ${lakeDir}`);
    const generateStarted = performance.now();
    const lake = await generateLake({
      outDir: lakeDir,
      days: options.days,
      eventsPerDay,
      seed: options.seed,
      malformed: false,
      startDate: START_DATE,
    });
    const nextDayDate = nextDate(START_DATE, options.days);
    const [nextDay] = await generateLake({
      outDir: join(root, 'next-day'),
      days: 1,
      eventsPerDay,
      seed: options.seed,
      malformed: false,
      startDate: nextDayDate,
    });
    if (!nextDay) throw new Error('the generator wrote no file for the next day');
    const sum = (key: 'rows' | 'bytes'): number => lake.reduce((total, file) => total + file[key], 0);
    const ctx: BenchContext = {
      log,
      root,
      lake: { dir: lakeDir, files: lake, rows: sum('rows'), bytes: sum('bytes'), nextDay },
      psql: options.psql,
      stream: { seconds: options.streamSeconds, refreshEverySeconds: options.refreshEverySeconds },
      createDatabase: async (tag) => {
        const name = `${prefix}_${tag}`;
        await adminClient.query(`create database ${name}`);
        databases.push(name);
        const url = new URL(serverUrl);
        url.pathname = `/${name}`;
        return { name, url: url.toString() };
      },
      dropDatabase: async (name) => {
        await adminClient.query(`drop database if exists ${name} with (force)`);
      },
      serverCpu: () => {
        const before = postmaster ? serverCpuMs(postmaster) : undefined;
        return () => {
          const after = postmaster ? serverCpuMs(postmaster) : undefined;
          return before !== undefined && after !== undefined ? after - before : undefined;
        };
      },
    };
    log.info(
      `lake: ${lake.length} files, ${ctx.lake.rows.toLocaleString('en-US')} rows, ${(ctx.lake.bytes / 1024 / 1024).toFixed(1)} MB, in ${formatMs(performance.now() - generateStarted)}`,
    );
    if (options.psql) await prepareBaseline(ctx);
    if (options.history) ctx.history = await prepareHistory(ctx, { ...options.history, seed: options.seed, startDate: START_DATE });

    // ------------------------------------------------------------ steps (a checkpoint first writes what earlier steps left dirty, so it is not charged to the next one)
    const steps = await runSteps(ctx, () =>
      adminClient.query('checkpoint').then(
        () => undefined,
        () => undefined,
      ),
    );

    return {
      benchmark: 'clickstream-elt',
      date: new Date().toISOString(),
      totalMs: performance.now() - started,
      loadAverageAtEnd: loadavg().map((load) => Math.round(load * 100) / 100),
      machine: { ...machine, postgres: info[0]?.version ?? null, postgresSettings },
      database: { kind: options.databaseUrl ? 'DATABASE_URL' : 'embedded', server: redactUrl(serverUrl), databases: [...databases] },
      lake: {
        dir: lakeDir,
        kept: options.keep,
        files: lake.length,
        days: options.days,
        startDate: START_DATE,
        seed: options.seed,
        eventsPerDay,
        rows: ctx.lake.rows,
        bytes: ctx.lake.bytes,
        blankLinesStripped: ctx.baseline?.blankLines ?? 0,
        nextDay: { file: join(lakeDir, basename(nextDay.path)), rows: nextDay.rows, bytes: nextDay.bytes },
      },
      history: ctx.history
        ? {
            shortDays: ctx.history.short.days,
            midDays: ctx.history.mid?.days ?? null,
            longDays: ctx.history.long.days,
            eventsPerDay: ctx.history.options.eventsPerDay,
            repeats: ctx.history.options.repeats,
            longRows: ctx.history.long.rows,
            longBytes: ctx.history.long.bytes,
          }
        : null,
      storage: ctx.history?.storage ?? null,
      steps,
      goals: benchGoals(steps),
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
        'stream-seconds': { type: 'string' },
        'refresh-every-seconds': { type: 'string' },
        'history-days': { type: 'string' },
        'history-events-per-day': { type: 'string' },
        'history-repeats': { type: 'string' },
        year: { type: 'boolean' },
        'from-source': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(describe(err)); // parseArgs throws TypeErrors for unknown flags and missing values
  }
}

/** --history-days short,[mid,]long (or off; --year: YEAR_HISTORY_DAYS), the day size and the repeats. */
function historyOptions(
  days: string | undefined,
  year: boolean,
  eventsPerDay: string | undefined,
  repeats: string | undefined,
): BenchOptions['history'] {
  if (year && days !== undefined) throw new UsageError(`--year is --history-days ${YEAR_HISTORY_DAYS}: give one or the other`);
  const text = year ? YEAR_HISTORY_DAYS : (days ?? '10,60');
  if (text === 'off') return undefined;
  const parts = text.split(',');
  if (parts.length < 2 || parts.length > 3)
    throw new UsageError(`--history-days must be <short>,<long> or <short>,<mid>,<long> (say 10,60) or off, got '${text}'`);
  const lengths = parts.map((part) => positiveInteger('history-days', part, 0));
  if (lengths.some((length, i) => i > 0 && length <= (lengths[i - 1] as number)))
    throw new UsageError(`--history-days: each length must be longer than the one before, got '${text}'`);
  const shortDays = lengths[0] as number;
  const longDays = lengths.at(-1) as number;
  return {
    shortDays,
    ...(lengths.length === 3 ? { midDays: lengths[1] } : {}),
    longDays,
    eventsPerDay: positiveInteger('history-events-per-day', eventsPerDay, 20_000),
    repeats: positiveInteger('history-repeats', repeats, 3),
  };
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
    streamSeconds: positiveInteger('stream-seconds', values['stream-seconds'], 20),
    refreshEverySeconds: positiveInteger('refresh-every-seconds', values['refresh-every-seconds'], 10),
    history: historyOptions(values['history-days'], values.year ?? false, values['history-events-per-day'], values['history-repeats']),
    fromSource: values['from-source'] ?? false,
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
  try {
    options.eltEntry = prepareEltEntry(PROJECT_ROOT, { fromSource: options.fromSource, log: (line) => log.info(line) });
  } catch (err) {
    if (!(err instanceof EntryError)) throw err;
    process.stderr.write(`bench: error: ${err.message}\n`);
    finished = true;
    return 1;
  }
  const machine = describeMachine(options.eltEntry);
  options.psql = machine.psql ? 'psql' : null;
  log.info(
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.psql ?? 'no psql: the baseline is skipped'}; elt: ${machine.elt ?? '?'}`,
  );
  const report = await runBench(options, log);
  await mkdir(options.outDir, { recursive: true });
  const jsonPath = join(options.outDir, 'bench.json');
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(formatTable(report.steps));
  process.stdout.write(`\n${formatGoals(report.goals)}`);
  if (report.storage) process.stdout.write(`\n${formatStorage(report.storage)}`);
  log.info(`figures written to ${jsonPath}; the benchmark took ${formatMs(report.totalMs)}`);
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
