import type { Pool } from 'pg';
import { migrate } from '../../db/migrate';
import { listObjects } from '../../loader/list-objects';
import { DEFAULT_LOAD_OPTIONS, loadLake } from '../../loader/load-lake';
import { buildModels } from '../../transform/build-models';
import { refreshMarts } from '../../transform/refresh-marts';
import { formatDataTestResults, runDataTests } from '../../transform/data-tests';
import { readModels } from '../../transform/model-catalog';
import { applySettings, checkSettings } from '../../transform/settings';
import type { Command, Io, Options } from '../command';
import type { LakeObject } from '../../loader/lake-object';
import { describeError, EltError, ExitCode, type ExitCodeValue } from '../errors';
import { DEFAULT_PROJECT_NAME, projectOf, type Project } from '../project';
import { formatMs, timed } from '../log';
import {
  LOAD_FLAGS,
  LOAD_HELP,
  loadOptionsOf,
  migrationsDir,
  MODEL_FLAGS,
  MODEL_HELP,
  PROJECT_FLAG,
  PROJECT_HELP,
  s3SettingsOf,
  settingsOf,
  sourceOf,
} from '../options';
import { formatReport, writeReport, type RunReport } from '../summary';
import { withDatabase } from '../with-database';
import { loadChartModule } from './chart';

type Step = 'run' | 'load' | 'build' | 'refresh';

/**
 * What `elt run` leaves in its output folder: the summary (text and JSON) and the
 * CTR-per-category chart. The data is final either way, so a file that cannot be
 * written is worth a warning, not a failed run.
 */
async function writeOutputs(report: RunReport, outputDir: string, pool: Pool, io: Io, withChart: boolean): Promise<void> {
  try {
    io.log.info(`summary written to ${writeReport(report, outputDir).join(', ')}`);
  } catch (err) {
    io.log.warn(`cannot write the summary to ${outputDir}: ${describeError(err)}`);
  }
  if (!withChart) return; // the chart draws the clickstream's category CTR
  try {
    const { result } = await timed(io.log, 'chart', () => loadChartModule().renderCategoryCtrChart(pool, { outDir: outputDir }));
    io.log.info(`chart written to ${result.pngPath} and ${result.svgPath}`);
    if (result.leftOut !== undefined) io.log.warn(result.leftOut);
  } catch (err) {
    io.log.warn(`no chart: ${describeError(err)}`);
  }
}

/** Records which project the database holds, and refuses to mix two projects' models in one database. */
async function claimDatabase(pool: Pool, project: Project): Promise<void> {
  // read first: an analyst (who may only read it) refreshes a database already claimed
  let { rows } = await pool.query<{ name: string }>('select name from elt.project');
  if (rows.length === 0) {
    await pool.query('insert into elt.project (name) values ($1) on conflict (is_singleton) do nothing', [project.name]);
    ({ rows } = await pool.query<{ name: string }>('select name from elt.project'));
  }
  const holder = rows[0]?.name;
  if (holder !== project.name) {
    throw new EltError(
      `this database holds the project "${holder}"; run "${project.name}" on a database of its own (another DATABASE_URL, or the embedded default)`,
      ExitCode.usage,
    );
  }
}

/** migrate → load → build → refresh, with a summary on stdout. */
async function runPipeline(command: Step, options: Options, io: Io, models: string[] = []): Promise<ExitCodeValue> {
  const started = performance.now();
  const report: RunReport = { totalMs: 0 };
  const withLoad = command === 'run' || command === 'load';
  const withModels = command === 'run' || command === 'build' || command === 'refresh';
  const project = projectOf(options, io.env);
  if (project.name !== DEFAULT_PROJECT_NAME) report.project = project.name;
  // check the input before starting anything
  const loadOptions = { ...(withLoad ? loadOptionsOf(options, io.env) : DEFAULT_LOAD_OPTIONS), signal: io.signal };
  const sources = options.source && options.project ? [{ location: sourceOf(options, io.env), format: project.sources[0]?.format ?? 'tsv-lake' }] : project.sources;
  if (withLoad && sources.length === 0) sourceOf(options, io.env); // throws: no source
  const objects: LakeObject[] = [];
  if (withLoad) for (const source of sources) objects.push(...(await listObjects(source.location, s3SettingsOf(options, io.env), io.log, source.format)));
  const modelsDir = project.modelsDir;
  // a models folder that is missing or empty is a usage error before anything is touched
  if (withModels) readModels(modelsDir);
  const settings = withModels ? settingsOf(options, io.env, project) : {};
  return withDatabase(io, async ({ pool }) => {
    // every setting is checked before any data changes: a typo never follows a committed load
    await checkSettings(pool, settings);
    const migrated = await timed(io.log, 'migrate', () => migrate(pool, { dir: migrationsDir(), log: io.log }));
    report.migrations = { applied: migrated.result.applied, ms: migrated.ms };
    await claimDatabase(pool, project);
    io.signal.throwIfAborted();
    if (withLoad) {
      io.log.info(`loading ${objects.length} lake file(s)`);
      const loaded = await timed(io.log, 'load', () => loadLake(pool, objects, io.log, loadOptions));
      report.load = { summary: loaded.result, ms: loaded.ms };
    }
    io.signal.throwIfAborted();
    if (withModels) {
      const applied = await applySettings(pool, settings);
      io.log.info(`reporting time zone ${applied.timeZone}, session gap ${applied.sessionGapMinutes} minutes`);
    }
    let fresh = new Set<string>();
    if (command === 'run' || command === 'build') {
      const select = typeof options.select === 'string' ? [options.select] : undefined;
      const built = await timed(io.log, 'build', () => buildModels(pool, { dir: modelsDir, log: io.log, full: options.full === true, select }));
      report.build = { result: built.result, ms: built.ms };
      fresh = new Set(built.result.built);
    }
    io.signal.throwIfAborted();
    if (command === 'run' || command === 'refresh') {
      const only = models.length ? models.map((name) => (name.includes('.') ? name : `marts.${name}`)) : undefined;
      const refreshed = await timed(io.log, 'refresh', () => refreshMarts(pool, { dir: modelsDir, log: io.log, alreadyFresh: fresh, only }));
      report.refresh = { marts: refreshed.result, ms: refreshed.ms };
    }
    io.signal.throwIfAborted();
    if (command === 'run') {
      // the tests that re-read every raw event are left to `elt test`: a run's cost follows new data
      const tested = await timed(io.log, 'test', () => runDataTests(pool, modelsDir, { skipRawScans: true }));
      report.tests = { results: tested.result, ms: tested.ms };
    }
    io.signal.throwIfAborted();
    report.totalMs = performance.now() - started;
    io.stdout.write(formatReport(report));
    const outputDir = (options['output-dir'] as string | undefined) || io.env.ELT_OUTPUT_DIR || './out';
    if (command === 'run') await writeOutputs(report, outputDir, pool, io, project.name === DEFAULT_PROJECT_NAME);
    // maxRSS is in kilobytes: the process's peak memory, the figure that must stay flat whatever the lake size
    io.log.info(`${command} finished in ${formatMs(performance.now() - started)}, peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
    if ((report.load?.summary.failed ?? 0) > 0) return ExitCode.loadFailed;
    return report.tests?.results.some((result) => result.failures > 0) ? ExitCode.dataTestsFailed : ExitCode.ok;
  }, project.database);
}


export const runCommand: Command = {
  name: 'run',
  summary: 'migrate, load the lake, build the models, refresh the marts, print a summary',
  usage: 'elt run --source <dir|file|s3://bucket/prefix/> [options]',
  options: { ...LOAD_FLAGS, ...MODEL_FLAGS, ...PROJECT_FLAG, 'output-dir': { type: 'string' } },
  optionHelp: [
    ...PROJECT_HELP,
    ...LOAD_HELP,
    ...MODEL_HELP,
    '--output-dir <dir>          where the summary (summary.txt, .json) and the CTR chart go [env ELT_OUTPUT_DIR, default ./out]',
  ],
  example: 'npm run elt -- run --source tests/fixtures/lake-sample',
  run: (options, io) => runPipeline('run', options, io),
};

export const loadCommand: Command = {
  name: 'load',
  summary: 'stream lake files into raw.raw_events (unchanged files are skipped)',
  usage: 'elt load --source <dir|file|s3://bucket/prefix/> [options]',
  options: { ...LOAD_FLAGS, ...PROJECT_FLAG },
  optionHelp: [...PROJECT_HELP, ...LOAD_HELP],
  example: 'npm run elt -- load --source tests/fixtures/lake-sample/2019-02-15.tsv',
  run: (options, io) => runPipeline('load', options, io),
};

export const buildCommand: Command = {
  name: 'build',
  summary: 'create the staging views and marts whose SQL changed, and everything downstream',
  usage: 'elt build [--full | --select <model>+] [options]',
  options: { ...MODEL_FLAGS, ...PROJECT_FLAG, full: { type: 'boolean' }, select: { type: 'string' } },
  optionHelp: [
    ...PROJECT_HELP,
    '--full                      rebuild every model, changed or not',
    '--select <model>+           rebuild this model and everything downstream of it, e.g. int_sessions+',
    ...MODEL_HELP,
  ],
  example: 'npm run elt -- build --select int_sessions+',
  run: (options, io) => runPipeline('build', options, io),
};

export const refreshCommand: Command = {
  name: 'refresh',
  summary: 'refresh the materialized marts (concurrently: readers are not blocked)',
  usage: 'elt refresh [mart ...] [options]',
  options: { ...MODEL_FLAGS, ...PROJECT_FLAG },
  optionHelp: [...PROJECT_HELP, ...MODEL_HELP, 'mart ...                    only these marts, e.g. article_performance (default: all, in dependency order)'],
  example: 'npm run elt -- refresh article_performance',
  positionals: true,
  run: (options, io, marts) => runPipeline('refresh', options, io, marts),
};

export const testCommand: Command = {
  name: 'test',
  summary: 'run the data tests next to the models (keys, not-null, ctr, running sums, reconciliation)',
  usage: 'elt test [--project <dir>] [--models <dir>]',
  options: { models: { type: 'string' }, ...PROJECT_FLAG },
  optionHelp: [...PROJECT_HELP, "--models <dir>              model folder, with its tests/ (default: the package's models/)"],
  example: 'npm run elt -- test',
  run: (options, io) => {
    const project = projectOf(options, io.env);
    return withDatabase(io, async ({ pool }) => {
      const results = await runDataTests(pool, project.modelsDir);
      io.stdout.write(formatDataTestResults(results));
      const failed = results.filter((result) => result.failures > 0);
      for (const result of failed) io.log.error(`data test ${result.test.name} failed on ${result.test.model}: ${result.error ?? `${result.failures} offending row(s)`}`);
      return failed.length > 0 ? ExitCode.dataTestsFailed : ExitCode.ok;
    }, project.database);
  },
};

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create or update the schemas and tables (migrations/*.sql, each applied once)',
  usage: 'elt migrate',
  options: {},
  optionHelp: [],
  example: 'npm run elt -- migrate',
  run: (_options, io) =>
    withDatabase(io, async ({ pool }) => {
      const { result, ms } = await timed(io.log, 'migrate', () => migrate(pool, { dir: migrationsDir(), log: io.log }));
      io.stdout.write(formatReport({ migrations: { applied: result.applied, ms }, totalMs: ms }));
      return ExitCode.ok;
    }),
};
