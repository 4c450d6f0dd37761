#!/usr/bin/env node
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { migrate } from '../db/migrate';
import { listObjects } from '../loader/list-objects';
import { DEFAULT_LOAD_OPTIONS, loadLake, type LoadLakeOptions } from '../loader/load-lake';
import { s3SettingsFromEnv, type S3Settings } from '../loader/s3-client';
import { uploadLake } from '../loader/s3-upload';
import { buildModels } from '../transform/build-models';
import { refreshMarts } from '../transform/refresh-marts';
import { applySettings, type ModelSettings } from '../transform/settings';
import { generateLake } from '../scripts/generate-lake';
import { openDatabase, type OpenDatabase } from './database';
import { describeError, EltError, ExitCode, type ExitCodeValue } from './errors';
import { COMMANDS, commandHelp, GLOBAL_HELP } from './help';
import { createLogger, formatMs, timed, type Logger } from './log';
import { packageVersion, projectRoot } from './project-root';
import { formatReport, writeReport, type RunReport } from './summary';

type Options = Record<string, string | boolean | undefined>;

const S3_OPTIONS: ParseArgsConfig['options'] = {
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  'no-sign-request': { type: 'boolean' },
};
const LOAD_OPTIONS: ParseArgsConfig['options'] = {
  source: { type: 'string' },
  concurrency: { type: 'string' },
  'max-reject-ratio': { type: 'string' },
  retries: { type: 'string' },
  ...S3_OPTIONS,
};

const OPTION_SPECS: Record<string, ParseArgsConfig['options']> = {
  run: {
    ...LOAD_OPTIONS,
    models: { type: 'string' },
    'time-zone': { type: 'string' },
    'session-gap-minutes': { type: 'string' },
    'output-dir': { type: 'string' },
  },
  generate: {
    out: { type: 'string' },
    days: { type: 'string' },
    start: { type: 'string' },
    'events-per-day': { type: 'string' },
    seed: { type: 'string' },
    gzip: { type: 'boolean' },
  },
  load: LOAD_OPTIONS,
  upload: { source: { type: 'string' }, to: { type: 'string' }, 'create-bucket': { type: 'boolean' }, ...S3_OPTIONS },
  migrate: {},
  build: { full: { type: 'boolean' }, models: { type: 'string' }, 'time-zone': { type: 'string' }, 'session-gap-minutes': { type: 'string' } },
  refresh: { models: { type: 'string' } },
  db: {},
};

interface Io {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  log: Logger;
}

function sourceOf(options: Options, env: NodeJS.ProcessEnv): string {
  const source = (options.source as string | undefined) ?? env.ELT_SOURCE;
  if (!source) throw new EltError('no lake source: pass --source <dir|file> or set ELT_SOURCE', ExitCode.usage);
  return source;
}

function s3SettingsOf(options: Options, env: NodeJS.ProcessEnv): S3Settings {
  const fromEnv = s3SettingsFromEnv(env);
  return {
    ...fromEnv,
    endpoint: (options['endpoint-url'] as string | undefined) ?? fromEnv.endpoint,
    // an explicit --endpoint-url wins over per-bucket endpoints
    bucketEndpoints: options['endpoint-url'] ? {} : fromEnv.bucketEndpoints,
    region: (options.region as string | undefined) ?? fromEnv.region,
    unsigned: options['no-sign-request'] === true || fromEnv.unsigned,
  };
}

/** A numeric option: flag, else environment variable, else default; bad values are usage errors. */
function numberOption(options: Options, env: NodeJS.ProcessEnv, flag: string, variable: string, fallback: number, valid: (n: number) => boolean): number {
  const raw = (options[flag] as string | undefined) ?? env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !valid(value)) throw new EltError(`--${flag} ${raw} is out of range (see elt --help)`, ExitCode.usage);
  return value;
}

function loadOptionsOf(options: Options, env: NodeJS.ProcessEnv): LoadLakeOptions {
  return {
    ...DEFAULT_LOAD_OPTIONS,
    concurrency: numberOption(options, env, 'concurrency', 'ELT_CONCURRENCY', DEFAULT_LOAD_OPTIONS.concurrency, (n) => Number.isInteger(n) && n >= 1 && n <= 64),
    maxRejectRatio: numberOption(options, env, 'max-reject-ratio', 'ELT_MAX_REJECT_RATIO', DEFAULT_LOAD_OPTIONS.maxRejectRatio, (n) => n >= 0 && n <= 1),
    retries: numberOption(options, env, 'retries', 'ELT_RETRIES', DEFAULT_LOAD_OPTIONS.retries, (n) => Number.isInteger(n) && n >= 0 && n <= 20),
  };
}

function modelsDirOf(options: Options): string {
  return (options.models as string | undefined) ?? join(projectRoot(), 'models');
}

function settingsOf(options: Options, env: NodeJS.ProcessEnv): ModelSettings {
  const timeZone = (options['time-zone'] as string | undefined) ?? env.ELT_TIME_ZONE;
  const gap = (options['session-gap-minutes'] as string | undefined) ?? env.ELT_SESSION_GAP_MINUTES;
  return { timeZone: timeZone || undefined, sessionGapMinutes: gap ? Number(gap) : undefined };
}

async function withDatabase<T>(io: Io, work: (db: OpenDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase(io.env, io.log);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

const migrationsDir = (): string => join(projectRoot(), 'migrations');

/** migrate → load → build → refresh, with a summary on stdout. */
async function runPipeline(command: string, options: Options, io: Io): Promise<ExitCodeValue> {
  const started = performance.now();
  const report: RunReport = { totalMs: 0 };
  const withLoad = command === 'run' || command === 'load';
  const withModels = command === 'run' || command === 'build' || command === 'refresh';
  // check the input before starting anything
  const loadOptions = withLoad ? loadOptionsOf(options, io.env) : DEFAULT_LOAD_OPTIONS;
  const objects = withLoad ? await listObjects(sourceOf(options, io.env), s3SettingsOf(options, io.env), io.log) : [];
  const modelsDir = modelsDirOf(options);
  return withDatabase(io, async ({ pool }) => {
    const migrated = await timed(io.log, 'migrate', () => migrate(pool, { dir: migrationsDir(), log: io.log }));
    report.migrations = { applied: migrated.result.applied, ms: migrated.ms };
    if (withLoad) {
      io.log.info(`loading ${objects.length} lake file(s)`);
      const loaded = await timed(io.log, 'load', () => loadLake(pool, objects, io.log, loadOptions));
      report.load = { summary: loaded.result, ms: loaded.ms };
    }
    if (withModels) {
      const settings = await applySettings(pool, settingsOf(options, io.env));
      io.log.info(`reporting time zone ${settings.timeZone}, session gap ${settings.sessionGapMinutes} minutes`);
    }
    let fresh = new Set<string>();
    if (command === 'run' || command === 'build') {
      const built = await timed(io.log, 'build', () => buildModels(pool, { dir: modelsDir, log: io.log, full: options.full === true }));
      report.build = { result: built.result, ms: built.ms };
      fresh = new Set(built.result.built);
    }
    if (command === 'run' || command === 'refresh') {
      const refreshed = await timed(io.log, 'refresh', () => refreshMarts(pool, { dir: modelsDir, log: io.log, alreadyFresh: fresh }));
      report.refresh = { marts: refreshed.result, ms: refreshed.ms };
    }
    report.totalMs = performance.now() - started;
    io.stdout.write(formatReport(report));
    const outputDir = (options['output-dir'] as string | undefined) ?? io.env.ELT_OUTPUT_DIR;
    if (command === 'run' && outputDir) {
      // the data is final either way: a summary that cannot be written is worth a warning, not a failed run
      try {
        io.log.info(`summary written to ${writeReport(report, outputDir).join(', ')}`);
      } catch (err) {
        io.log.warn(`cannot write the summary to ${outputDir}: ${describeError(err)}`);
      }
    }
    return (report.load?.summary.failed ?? 0) > 0 ? ExitCode.loadFailed : ExitCode.ok;
  });
}

/** `elt upload`: put local lake files under an S3 prefix (multipart). */
async function upload(options: Options, io: Io): Promise<ExitCodeValue> {
  const target = options.to as string | undefined;
  if (!target) throw new EltError('no target: pass --to s3://<bucket>/<prefix>/', ExitCode.usage);
  const started = performance.now();
  const uploaded = await uploadLake(sourceOf(options, io.env), target, s3SettingsOf(options, io.env), io.log, {
    createBucket: options['create-bucket'] === true,
  });
  const bytes = uploaded.reduce((sum, object) => sum + object.bytes, 0);
  io.stdout.write(`uploaded ${uploaded.length} files (${bytes.toLocaleString('en-US')} bytes) to ${target} in ${formatMs(performance.now() - started)}\n`);
  return ExitCode.ok;
}

/** `elt generate`: the demo lake generator, as a command. */
async function generate(options: Options, io: Io): Promise<ExitCodeValue> {
  const outDir = options.out as string | undefined;
  if (!outDir) throw new EltError('no output folder: pass --out <dir>', ExitCode.usage);
  const integer = (flag: string, fallback: number) => numberOption(options, {}, flag, '', fallback, (n) => Number.isInteger(n) && n >= 1);
  const files = await generateLake({
    outDir,
    days: integer('days', 5),
    eventsPerDay: integer('events-per-day', 2000),
    seed: integer('seed', 42),
    startDate: (options.start as string | undefined) ?? '2019-02-15',
    gzip: options.gzip === true,
  }).catch((err: unknown) => {
    throw new EltError(`generate: ${describeError(err)}`, ExitCode.usage, { cause: err });
  });
  for (const file of files) io.stdout.write(`${file.path}\t${file.rows} rows\t${file.malformedRows} malformed\n`);
  return ExitCode.ok;
}

/** `elt db`: keep the embedded server up until interrupted. */
async function serveDatabase(io: Io): Promise<ExitCodeValue> {
  if (io.env.DATABASE_URL) {
    throw new EltError('elt db serves the embedded Postgres; DATABASE_URL is set, so connect to that server instead', ExitCode.usage);
  }
  const db = await openDatabase(io.env, io.log);
  await migrate(db.pool, { dir: migrationsDir(), log: io.log });
  io.stdout.write(`${db.url}\n`);
  io.log.info(`embedded Postgres is up: psql "${db.url}"  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.log.info('stopping the embedded Postgres');
  await db.close();
  return ExitCode.ok;
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 * Every failure becomes one line on stderr; ELT_DEBUG=1 adds the stack.
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCodeValue> {
  const log = createLogger(process.stderr);
  const io: Io = { env, stdout: process.stdout, log };
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(GLOBAL_HELP(packageVersion()));
      return command === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (command === '--version' || command === '-v') {
      process.stdout.write(`${packageVersion()}\n`);
      return ExitCode.ok;
    }
    if (!(command in COMMANDS)) {
      throw new EltError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')}; see elt --help)`, ExitCode.usage);
    }
    let options: Options;
    try {
      ({ values: options } = parseArgs({ args: rest, options: { ...OPTION_SPECS[command], help: { type: 'boolean', short: 'h' } }, strict: true }));
    } catch (err) {
      throw new EltError(`${describeError(err)} (see elt ${command} --help)`, ExitCode.usage);
    }
    if (options.help) {
      process.stdout.write(commandHelp(command));
      return ExitCode.ok;
    }
    if (command === 'migrate') {
      return await withDatabase(io, async ({ pool }) => {
        const { result, ms } = await timed(log, 'migrate', () => migrate(pool, { dir: migrationsDir(), log }));
        io.stdout.write(formatReport({ migrations: { applied: result.applied, ms }, totalMs: ms }));
        return ExitCode.ok;
      });
    }
    if (command === 'db') return await serveDatabase(io);
    if (command === 'upload') return await upload(options, io);
    if (command === 'generate') return await generate(options, io);
    return await runPipeline(command, options, io);
  } catch (err) {
    if (err instanceof EltError) {
      log.error(err.message);
      if (env.ELT_DEBUG) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    log.error(`unexpected: ${describeError(err)}${env.ELT_DEBUG ? '' : ' (set ELT_DEBUG=1 for the stack)'}`);
    if (env.ELT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return ExitCode.unexpected;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(ExitCode.unexpected),
  );
}
