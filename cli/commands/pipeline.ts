import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { migrate } from '../../db/migrate';
import { packageVersion } from '../../core/package-root';
import { listObjects } from '../../loader/sources/list-objects';
import type { LakeObject } from '../../loader/sources/lake-object';
import { DEFAULT_FORMAT } from '../../loader/formats';
import { DEFAULT_LOAD_OPTIONS } from '../../loader/load-lake';
import { checkPipelineInput, runPipeline, writeRunOutputs, type PipelineCommand, type PipelineConfig } from '../../pipeline/run-pipeline';
import { formatReport } from '../../pipeline/run-report';
import { formatDataTestResults, runDataTests } from '../../transform/data-tests';
import { buildEnvironment } from '../../transform/build-environment';
import { environmentRelation } from '../../transform/environment-name';
import { environmentToRead } from '../../transform/environment-sql';
import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatMs, timed } from '../../core/log';
import { defineCommand, type CommandInput, type Io } from '../command';
import {
  LOAD_SETTINGS,
  loadOptionsOf,
  lockWaitSecondsOf,
  migrationsDir,
  MODEL_SETTINGS,
  modelSettingsOf,
  PRUNE_SETTINGS,
  pruneOf,
  SELECT_SETTINGS,
  selectionOf,
  s3SettingsOf,
  sourceOf,
} from '../options';
import { withDatabase } from '../with-database';

/**
 * `elt run|load|build|refresh`: reads the flags, checks the input before anything
 * is touched (the source is listed, the models folder read), runs the pipeline's
 * steps on the database, prints the summary; the exit code says how it went.
 */
type PipelineKey =
  | (typeof LOAD_SETTINGS)[number]
  | (typeof MODEL_SETTINGS)[number]
  | (typeof PRUNE_SETTINGS)[number]
  | 'project'
  | 'lockWaitSeconds'
  | 'outputDir'
  | 'full'
  | (typeof SELECT_SETTINGS)[number];

async function runPipelineCommand(
  command: PipelineCommand,
  { settings, project, options }: Omit<CommandInput<PipelineKey>, 'settings'> & { settings: Partial<CommandInput<PipelineKey>['settings']> },
  io: Io,
  marts: string[] = [],
): Promise<ExitCodeValue> {
  const started = performance.now();
  const startedAt = new Date();
  const withLoad = command === 'run' || command === 'load';
  const loadOptions = withLoad ? loadOptionsOf(options, io.env) : DEFAULT_LOAD_OPTIONS;
  const sources =
    options.source && options.project
      ? [{ location: sourceOf(options, io.env), format: project.sources[0]?.format ?? DEFAULT_FORMAT }]
      : project.sources;
  const streams = options.source ? [] : (project.streams ?? []);
  if (withLoad && sources.length === 0 && streams.length > 0) {
    throw new EltError(
      `the project ${project.name} has only stream sources (${streams.map((stream) => stream.uri).join(', ')}): run elt stream --project <dir> to consume them`,
      ExitCode.usage,
    );
  }
  if (withLoad) for (const stream of streams) io.log.info(`${stream.uri}: a stream source, skipped: elt stream consumes it`);
  if (withLoad && sources.length === 0) sourceOf(options, io.env); // throws: no source
  const objects: LakeObject[] = [];
  if (withLoad)
    for (const source of sources) objects.push(...(await listObjects(source.location, s3SettingsOf(options, io.env), io.log, source.format)));
  const config: PipelineConfig = {
    command,
    project,
    migrationsDir: migrationsDir(),
    objects,
    loadOptions,
    settings: command === 'load' ? {} : modelSettingsOf({ timeZone: settings.timeZone, sessionGapMinutes: settings.sessionGapMinutes }),
    full: settings.full === true,
    select: settings.select === undefined ? undefined : [...settings.select],
    exclude: settings.exclude === undefined ? undefined : [...settings.exclude],
    prune: pruneOf(options),
    lockWaitSeconds: lockWaitSecondsOf(options, io.env),
    marts,
    outputDir: settings.outputDir ?? join(io.home ?? '.', 'out'),
    signal: io.signal,
  };
  checkPipelineInput(config);
  return withDatabase(
    io,
    async ({ pool }) => {
      const report = await runPipeline(pool, config, io.log);
      report.totalMs = performance.now() - started;
      const failedLoad = (report.load?.summary.failed ?? 0) > 0;
      const failedTests = report.tests?.results.some((result) => result.failures > 0) === true;
      const code = failedLoad ? ExitCode.loadFailed : failedTests ? ExitCode.dataTestsFailed : ExitCode.ok;
      if (command === 'run') {
        // the outputs first, so the summary (printed, and summary.txt) says what became of each
        const meta = { invocationId: io.invocationId ?? randomUUID(), version: packageVersion(), command, startedAt, exitCode: code };
        await writeRunOutputs(pool, report, config, io.log, meta, started);
      }
      io.stdout.write(formatReport(report));
      // maxRSS is in kilobytes: the process's peak memory, the figure that must stay flat whatever the lake size
      io.log.info(
        `${command} finished in ${formatMs(performance.now() - started)}, peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
      );
      return code;
    },
    project.database,
  );
}

const PIPELINE_SETTINGS = ['project', ...LOAD_SETTINGS, ...MODEL_SETTINGS, ...PRUNE_SETTINGS, 'lockWaitSeconds', 'outputDir'] as const;

export const runCommand = defineCommand({
  name: 'run',
  summary: 'migrate, load the lake, build the models, refresh the marts, print a summary',
  settings: PIPELINE_SETTINGS,
  example: 'npm run elt -- run --source tests/fixtures/lake-sample',
  action: (input, io) => runPipelineCommand('run', input, io),
});
export const loadCommand = defineCommand({
  name: 'load',
  summary: 'stream lake files into raw.raw_events (unchanged files are skipped)',
  settings: ['project', ...LOAD_SETTINGS],
  example: 'npm run elt -- load --source tests/fixtures/lake-sample/2019-02-15.tsv',
  action: (input, io) => runPipelineCommand('load', input, io),
});

export const buildCommand = defineCommand({
  name: 'build',
  summary: 'create the staging views and marts whose SQL changed, and everything downstream',
  settings: ['project', 'full', ...SELECT_SETTINGS, ...PRUNE_SETTINGS, ...MODEL_SETTINGS, 'lockWaitSeconds', 'environment'],
  notes: [
    '--select rebuilds these models and everything downstream; a model reading a rebuilt one is rebuilt even when excluded (with a warning).',
    '--env <name>: builds the models whose SQL differs from production, and what reads them, into <layer>__<name> schemas; production is not touched.',
  ],
  example: 'npm run elt -- build --select int_sessions+',
  action: (input, io) => (input.settings.environment === undefined ? runPipelineCommand('build', input, io) : buildEnvironmentCommand(input, io)),
});

/** `elt build --env <name>` (transform/build-environment.ts): what it built, one line per model, on stdout. */
function buildEnvironmentCommand(
  { settings, project }: CommandInput<'project' | 'full' | 'environment' | 'prune' | 'dropOrphan' | (typeof SELECT_SETTINGS)[number]>,
  io: Io,
): Promise<ExitCodeValue> {
  const environment = settings.environment as string;
  if (settings.full || settings.select !== undefined || settings.exclude !== undefined || settings.prune || settings.dropOrphan !== undefined) {
    throw new EltError(
      'elt build --env builds the models that differ from production and what reads them: no --full, --select, --exclude, --prune or --drop-orphan with it',
      ExitCode.usage,
    );
  }
  return withDatabase(
    io,
    async ({ pool }) => {
      const result = await buildEnvironment(pool, { dir: project.modelsDir, environment, log: io.log });
      if (result.built.length === 0) {
        io.stdout.write(`environment ${environment}: no model differs from production; nothing built\n`);
        return ExitCode.ok;
      }
      io.stdout.write(
        `environment ${environment}: built ${result.built.length} model(s) in ${result.schemas.join(', ')} (changed: ${result.changed.join(', ')}; the others read production)\n`,
      );
      for (const name of result.built) io.stdout.write(`  ${environmentRelation(name, environment)}\n`);
      return ExitCode.ok;
    },
    project.database,
  );
}

/**
 * `elt refresh --env <name>`: the environment brought up to date with the loads production
 * has folded since it was built. Its incremental models are tables computed whole, with the
 * rights of the login that builds them and without the engine's record of the loads they
 * hold (the engine runs as the owner: transform/build-environment.ts), so they are computed
 * whole again, as `elt build --env` does; an environment that was never built is refused,
 * never made here.
 */
function refreshEnvironmentCommand(
  { project }: CommandInput<(typeof MODEL_SETTINGS)[number] | (typeof SELECT_SETTINGS)[number] | 'project' | 'lockWaitSeconds' | 'environment'>,
  io: Io,
  environment: string,
): Promise<ExitCodeValue> {
  return withDatabase(
    io,
    async ({ pool }) => {
      await environmentToRead(pool, environment);
      const result = await buildEnvironment(pool, { dir: project.modelsDir, environment, log: io.log });
      if (result.built.length === 0) {
        io.stdout.write(`environment ${environment}: no model differs from production any more; nothing to refresh\n`);
        return ExitCode.ok;
      }
      io.stdout.write(`environment ${environment}: recomputed ${result.built.length} model(s) on the loads production has folded\n`);
      for (const name of result.built) io.stdout.write(`  ${environmentRelation(name, environment)}\n`);
      return ExitCode.ok;
    },
    project.database,
  );
}

export const refreshCommand = defineCommand({
  name: 'refresh',
  summary: 'bring the marts up to date: only the articles and days that new loads touched (readers are not blocked)',
  settings: ['project', ...MODEL_SETTINGS, ...SELECT_SETTINGS, 'lockWaitSeconds', 'environment'],
  argument: {
    name: 'mart...',
    required: false,
    help: "only these of a project's materialized-view marts, e.g. article_performance (default: all; the incremental marts are always brought up to date together)",
  },
  notes: [
    'Name marts or use --select / --exclude (only the marts selected), not both.',
    "--env <name>: recomputes the environment's models whole on the loads production has folded (production refreshes first).",
  ],
  example: 'npm run elt -- refresh article_performance',
  action: (input, io, marts) => {
    const environment = input.settings.environment;
    if (environment !== undefined) {
      if (marts.length > 0 || input.settings.select !== undefined || input.settings.exclude !== undefined) {
        throw new EltError(
          `elt refresh --env ${environment} recomputes the whole environment: no marts, --select or --exclude with it`,
          ExitCode.usage,
        );
      }
      return refreshEnvironmentCommand(input, io, environment);
    }
    if (marts.length > 0 && (input.settings.select !== undefined || input.settings.exclude !== undefined)) {
      throw new EltError('elt refresh: name marts or use --select/--exclude, not both', ExitCode.usage);
    }
    return runPipelineCommand('refresh', input, io, marts);
  },
});

export const testCommand = defineCommand({
  name: 'test',
  summary: 'run the data tests next to the models (keys, not-null, ctr, running sums, reconciliation)',
  settings: ['project', 'models', ...SELECT_SETTINGS, 'environment'],
  notes: [
    '--select / --exclude: only the tests of the models selected (a test belongs to each model it reads).',
    '--env <name>: the tests read the relations the environment holds (marts__<name>.x), production for the rest.',
  ],
  example: 'npm run elt -- test',
  action: ({ settings, project, options }, io) => {
    const models = selectionOf(options, project.modelsDir);
    return withDatabase(
      io,
      async ({ pool }) => {
        const environment = settings.environment === undefined ? undefined : await environmentToRead(pool, settings.environment);
        const results = await runDataTests(pool, project.modelsDir, { models, environment });
        io.stdout.write(formatDataTestResults(results));
        const failed = results.filter((result) => result.failures > 0);
        for (const result of failed)
          io.log.error(`data test ${result.test.name} failed on ${result.test.model}: ${result.error ?? `${result.failures} offending row(s)`}`);
        const skipped = results.filter((result) => result.skipped).length;
        if (skipped > 0)
          io.log.warn(`skipped ${skipped} data test${skipped === 1 ? '' : 's'} this login may not read (see SKIP above); ran the others`);
        return failed.length > 0 ? ExitCode.dataTestsFailed : ExitCode.ok;
      },
      project.database,
    );
  },
});

export const migrateCommand = defineCommand({
  name: 'migrate',
  summary: 'create or update the schemas and tables (migrations/*.sql, each applied once)',
  settings: ['lockWaitSeconds'],
  example: 'npm run elt -- migrate',
  action: ({ settings }, io) =>
    withDatabase(io, async ({ pool }) => {
      const lockWait = { limitSeconds: settings.lockWaitSeconds, signal: io.signal };
      const { result, ms } = await timed(io.log, 'migrate', () => migrate(pool, { dir: migrationsDir(), log: io.log, lockWait }));
      io.stdout.write(formatReport({ migrations: { applied: result.applied, ms }, totalMs: ms }));
      return ExitCode.ok;
    }),
});
