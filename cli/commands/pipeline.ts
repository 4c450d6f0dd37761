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
import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatMs, timed } from '../../core/log';
import type { Command, Io, Options } from '../command';
import {
  LOAD_FLAGS,
  LOAD_HELP,
  loadOptionsOf,
  LOCK_WAIT_FLAG,
  LOCK_WAIT_HELP,
  lockWaitSecondsOf,
  migrationsDir,
  MODEL_FLAGS,
  MODEL_HELP,
  PROJECT_FLAG,
  PROJECT_HELP,
  PRUNE_FLAGS,
  PRUNE_HELP,
  pruneOf,
  SELECT_FLAGS,
  selectionOf,
  s3SettingsOf,
  settingsOf,
  sourceOf,
} from '../options';
import { projectOf } from '../project';
import { withDatabase } from '../with-database';

/**
 * `elt run|load|build|refresh`: reads the flags, checks the input before anything
 * is touched (the source is listed, the models folder read), runs the pipeline's
 * steps on the database, prints the summary; the exit code says how it went.
 */
async function runPipelineCommand(command: PipelineCommand, options: Options, io: Io, marts: string[] = []): Promise<ExitCodeValue> {
  const started = performance.now();
  const startedAt = new Date();
  const withLoad = command === 'run' || command === 'load';
  const project = projectOf(options, io.env);
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
    settings: command === 'load' ? {} : settingsOf(options, io.env, project),
    full: options.full === true,
    select: options.select as string[] | undefined,
    exclude: options.exclude as string[] | undefined,
    prune: pruneOf(options),
    lockWaitSeconds: lockWaitSecondsOf(options, io.env),
    marts,
    outputDir: (options['output-dir'] as string | undefined) || io.env.ELT_OUTPUT_DIR || join(io.home ?? '.', 'out'),
    signal: io.signal,
  };
  checkPipelineInput(config);
  return withDatabase(
    io,
    async ({ pool }) => {
      const report = await runPipeline(pool, config, io.log);
      report.totalMs = performance.now() - started;
      io.stdout.write(formatReport(report));
      const failedLoad = (report.load?.summary.failed ?? 0) > 0;
      const failedTests = report.tests?.results.some((result) => result.failures > 0) === true;
      const code = failedLoad ? ExitCode.loadFailed : failedTests ? ExitCode.dataTestsFailed : ExitCode.ok;
      if (command === 'run') {
        const meta = { invocationId: io.invocationId ?? randomUUID(), version: packageVersion(), command, startedAt, exitCode: code };
        await writeRunOutputs(pool, report, config, io.log, meta);
      }
      // maxRSS is in kilobytes: the process's peak memory, the figure that must stay flat whatever the lake size
      io.log.info(
        `${command} finished in ${formatMs(performance.now() - started)}, peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
      );
      return code;
    },
    project.database,
  );
}

export const runCommand: Command = {
  name: 'run',
  summary: 'migrate, load the lake, build the models, refresh the marts, print a summary',
  usage: 'elt run --source <dir|file|s3://bucket/prefix/> [options]',
  options: { ...LOAD_FLAGS, ...MODEL_FLAGS, ...PRUNE_FLAGS, ...LOCK_WAIT_FLAG, ...PROJECT_FLAG, 'output-dir': { type: 'string' } },
  optionHelp: [
    ...PROJECT_HELP,
    ...LOAD_HELP,
    ...MODEL_HELP,
    ...PRUNE_HELP,
    ...LOCK_WAIT_HELP,
    '--output-dir <dir>          where the summary (summary.txt, .json) and the CTR chart go [env ELT_OUTPUT_DIR, default ./out]',
  ],
  example: 'npm run elt -- run --source tests/fixtures/lake-sample',
  run: (options, io) => runPipelineCommand('run', options, io),
};

export const loadCommand: Command = {
  name: 'load',
  summary: 'stream lake files into raw.raw_events (unchanged files are skipped)',
  usage: 'elt load --source <dir|file|s3://bucket/prefix/> [options]',
  options: { ...LOAD_FLAGS, ...PROJECT_FLAG },
  optionHelp: [...PROJECT_HELP, ...LOAD_HELP],
  example: 'npm run elt -- load --source tests/fixtures/lake-sample/2019-02-15.tsv',
  run: (options, io) => runPipelineCommand('load', options, io),
};

export const buildCommand: Command = {
  name: 'build',
  summary: 'create the staging views and marts whose SQL changed, and everything downstream',
  usage: 'elt build [--full | --select <selector>] [--exclude <selector>] [--prune | --drop-orphan <model>] [options]',
  options: { ...MODEL_FLAGS, ...PRUNE_FLAGS, ...LOCK_WAIT_FLAG, ...PROJECT_FLAG, full: { type: 'boolean' }, ...SELECT_FLAGS },
  optionHelp: [
    ...PROJECT_HELP,
    '--full                      rebuild every model, changed or not',
    '--select <selector>         rebuild these models (and everything downstream), dbt style: m, +m, m+, 2+m, path:marts; "a b" union, a,b intersection',
    '--exclude <selector>        not these (a model reading a rebuilt one is rebuilt anyway, with a warning)',
    ...PRUNE_HELP,
    ...MODEL_HELP,
    ...LOCK_WAIT_HELP,
  ],
  example: 'npm run elt -- build --select int_sessions+',
  run: (options, io) => runPipelineCommand('build', options, io),
};

export const refreshCommand: Command = {
  name: 'refresh',
  summary: 'refresh the materialized marts (concurrently: readers are not blocked)',
  usage: 'elt refresh [mart ... | --select <selector>] [options]',
  options: { ...MODEL_FLAGS, ...LOCK_WAIT_FLAG, ...PROJECT_FLAG, ...SELECT_FLAGS },
  optionHelp: [
    ...PROJECT_HELP,
    ...MODEL_HELP,
    ...LOCK_WAIT_HELP,
    'mart ...                    only these marts, e.g. article_performance (default: all, in dependency order)',
    '--select / --exclude <sel>  only the marts selected, dbt style (the incremental models are always folded together)',
  ],
  example: 'npm run elt -- refresh article_performance',
  positionals: true,
  run: (options, io, marts) => {
    if (marts.length > 0 && (options.select !== undefined || options.exclude !== undefined)) {
      throw new EltError('elt refresh: name marts or use --select/--exclude, not both', ExitCode.usage);
    }
    return runPipelineCommand('refresh', options, io, marts);
  },
};

export const testCommand: Command = {
  name: 'test',
  summary: 'run the data tests next to the models (keys, not-null, ctr, running sums, reconciliation)',
  usage: 'elt test [--select <selector>] [--exclude <selector>] [--project <dir>] [--models <dir>]',
  options: { models: { type: 'string' }, ...PROJECT_FLAG, ...SELECT_FLAGS },
  optionHelp: [
    ...PROJECT_HELP,
    "--models <dir>              model folder, with its tests/ (default: the package's models/)",
    '--select / --exclude <sel>  only the tests of the models selected, dbt style (a test belongs to each model it reads)',
  ],
  example: 'npm run elt -- test',
  run: (options, io) => {
    const project = projectOf(options, io.env);
    const models = selectionOf(options, project.modelsDir);
    return withDatabase(
      io,
      async ({ pool }) => {
        const results = await runDataTests(pool, project.modelsDir, { models });
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
};

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create or update the schemas and tables (migrations/*.sql, each applied once)',
  usage: 'elt migrate [--lock-wait-seconds <s>]',
  options: { ...LOCK_WAIT_FLAG },
  optionHelp: [...LOCK_WAIT_HELP],
  example: 'npm run elt -- migrate',
  run: (options, io) =>
    withDatabase(io, async ({ pool }) => {
      const lockWait = { limitSeconds: lockWaitSecondsOf(options, io.env), signal: io.signal };
      const { result, ms } = await timed(io.log, 'migrate', () => migrate(pool, { dir: migrationsDir(), log: io.log, lockWait }));
      io.stdout.write(formatReport({ migrations: { applied: result.applied, ms }, totalMs: ms }));
      return ExitCode.ok;
    }),
};
