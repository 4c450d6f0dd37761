import { join } from 'node:path';
import type { Pool } from 'pg';
import { describeError } from '../core/errors';
import { forStep, timed, type Logger } from '../core/log';
import { loadChartModule } from '../chart/load-chart';
import type { LockWaitOptions } from '../db/lock-wait';
import { migrate } from '../db/migrate';
import type { RefreshHow } from '../db/refresh-how';
import type { LakeObject } from '../loader/sources/lake-object';
import { loadLake, type LoadLakeOptions } from '../loader/load-lake';
import { buildModels } from '../transform/build-models';
import type { PruneRequest } from '../transform/orphaned-models';
import { runDataTests, type DataTestResult, type DataTestScope } from '../transform/data-tests';
import { refreshMarts } from '../transform/refresh-marts';
import { readDocs } from '../observe/docs-site/read-docs';
import { writeDocsSite } from '../observe/docs-site/write-site';
import { freshnessThresholds } from '../observe/freshness';
import { applySettings, type ModelSettings } from '../transform/settings';
import type { ProjectOutput } from './project-outputs';
import { writeReport, type OutputResult, type RunReport } from './run-report';
import { runResults, writeRunResults, type RunMeta } from './run-results';

// The steps of a pipeline run, in the order they run. Each takes what it needs and
// returns its part of the run report (as dlt's Pipeline does), timed and logged, every
// line of a step naming it (`step` of a JSON line: forStep).

export async function migrateStep(pool: Pool, dir: string, log: Logger, lockWait?: LockWaitOptions): Promise<Required<RunReport>['migrations']> {
  const stepLog = forStep(log, 'migrate');
  const { result, ms } = await timed(stepLog, 'migrate', () => migrate(pool, { dir, log: stepLog, lockWait }));
  return { applied: result.applied, ms };
}

export async function loadStep(
  pool: Pool,
  objects: LakeObject[],
  log: Logger,
  options: Partial<LoadLakeOptions>,
): Promise<Required<RunReport>['load']> {
  const stepLog = forStep(log, 'load');
  stepLog.info(`loading ${objects.length} lake file(s)`, { objects: objects.length });
  const { result, ms } = await timed(stepLog, 'load', () => loadLake(pool, objects, stepLog, options));
  return { summary: result, ms };
}

/** Stores the settings the models read (reporting time zone, session gap): changed ones take effect at the next refresh. */
export async function settingsStep(pool: Pool, settings: ModelSettings, log: Logger): Promise<void> {
  const applied = await applySettings(pool, settings);
  forStep(log, 'settings').info(`reporting time zone ${applied.timeZone}, session gap ${applied.sessionGapMinutes} minutes`, {
    time_zone: applied.timeZone,
    session_gap_minutes: applied.sessionGapMinutes,
  });
}

export async function buildStep(
  pool: Pool,
  options: { modelsDir: string; full: boolean; select?: string[]; exclude?: string[]; prune?: PruneRequest; lockWait?: LockWaitOptions },
  log: Logger,
): Promise<Required<RunReport>['build']> {
  const stepLog = forStep(log, 'build');
  const { result, ms } = await timed(stepLog, 'build', () =>
    buildModels(pool, {
      dir: options.modelsDir,
      log: stepLog,
      full: options.full,
      select: options.select,
      exclude: options.exclude,
      prune: options.prune,
      lockWait: options.lockWait,
    }),
  );
  return { result, ms };
}

export async function refreshStep(
  pool: Pool,
  options: { modelsDir: string; alreadyFresh: Set<string>; only?: string[]; lockWait?: LockWaitOptions },
  log: Logger,
): Promise<Required<RunReport>['refresh']> {
  const stepLog = forStep(log, 'refresh');
  const { result, ms } = await timed(stepLog, 'refresh', () =>
    refreshMarts(pool, { dir: options.modelsDir, log: stepLog, alreadyFresh: options.alreadyFresh, only: options.only, lockWait: options.lockWait }),
  );
  return { marts: result, ms };
}

/**
 * The data tests that do not re-read every raw event, and on the by-load tables only the
 * rows of this run's loads, unless this run built or recomputed a model (its rows are all
 * new then): a run's cost follows new data (`elt test` runs them all, on all rows).
 */
export async function testStep(pool: Pool, modelsDir: string, runStartedAt: Date, log: Logger): Promise<Required<RunReport>['tests']> {
  const { rows } = await pool.query<{ rebuilt: boolean }>(
    'select exists (select from elt.refresh_log where refreshed_at >= $1 and how = any($2)) as rebuilt',
    [runStartedAt, ['built', 'recomputed'] satisfies RefreshHow[]],
  );
  const loadsSince = rows[0]?.rebuilt === true ? undefined : runStartedAt;
  const stepLog = forStep(log, 'test');
  const { result, ms } = await timed(stepLog, 'test', () => runDataTests(pool, modelsDir, { skipRawScans: true, loadsSince }));
  stepLog.info(describeTestScope(result, loadsSince !== undefined));
  return { results: result, ms };
}

/** The run's line saying which rows its data tests read: what changed, or everything (after a build). */
function describeTestScope(results: DataTestResult[], followsNewData: boolean): string {
  const count = (scope: DataTestScope) => results.filter((result) => result.scope === scope).length;
  if (!followsNewData)
    return `tested every row: ${results.length} data test(s) (a model was built or recomputed in this run; staging re-reads are left to elt test)`;
  return `tested what changed: ${count('new loads')} data test(s) on the new loads' rows, ${count('changed keys')} on the keys they changed, ${count('all rows')} on every row (elt test tests everything)`;
}

/**
 * What a run leaves in its output folder: the outputs its project declares (the
 * CTR-per-category chart, the docs site), each drawn again only when what it shows
 * changed ("unchanged" in the log and in summary.json otherwise), then the summary (text
 * as printed, and JSON with what became of each output) and, last, the run artifact (run_results.json,
 * pipeline/run-results.ts). The data is final either way, so a file that cannot be
 * written is worth a warning, not a failed run.
 */
export async function outputStep(
  pool: Pool,
  report: RunReport,
  options: {
    outputDir: string;
    outputs: readonly ProjectOutput[];
    modelsDir: string;
    meta?: Omit<RunMeta, 'finishedAt'>;
    /** when the command started (performance.now()): the summary's total then counts the outputs too */
    startedAt?: number;
  },
  runLog: Logger,
): Promise<void> {
  const summaryLog = forStep(runLog, 'summary');
  const outputs: OutputResult[] = [];
  let log = forStep(runLog, 'chart');
  // the site shows the chart drawn in this run from this database, never one an earlier run (or database) left
  let chartPng: string | undefined;
  if (options.outputs.includes('category-ctr-chart')) {
    const started = performance.now();
    let status: OutputResult['status'] = 'failed';
    try {
      const { result } = await timed(log, 'chart', () => loadChartModule().renderCategoryCtrChart(pool, { outDir: options.outputDir }));
      chartPng = result.pngPath;
      status = result.unchanged ? 'unchanged' : 'drawn';
      if (result.unchanged) log.info(`chart unchanged: ${result.pngPath} and ${result.svgPath} show the mart as it is`);
      else log.info(`chart written to ${result.pngPath} and ${result.svgPath}`);
      if (result.leftOut !== undefined) log.warn(result.leftOut);
    } catch (err) {
      log.warn(`no chart: ${describeError(err)}`);
    }
    outputs.push({ output: 'category-ctr-chart', status, ms: performance.now() - started });
  }
  log = forStep(runLog, 'docs');
  if (options.outputs.includes('docs')) {
    const started = performance.now();
    let status: OutputResult['status'] = 'failed';
    try {
      // the run's data tests already ran: the site lists them without running them again
      const { result } = await timed(log, 'docs', async () => {
        const data = await readDocs(pool, { modelsDir: options.modelsDir, thresholds: freshnessThresholds({}), runTests: false });
        return writeDocsSite(data, { outDir: join(options.outputDir, 'docs'), chartPng, ifChanged: true });
      });
      status = result.unchanged ? 'unchanged' : 'drawn';
      log.info(result.unchanged ? `docs site unchanged: ${result.index} shows the project as it is` : `docs site written to ${result.index}`);
    } catch (err) {
      log.warn(`no docs site: ${describeError(err)}`);
    }
    outputs.push({ output: 'docs', status, ms: performance.now() - started });
  }
  if (outputs.length > 0) report.outputs = outputs;
  if (options.startedAt !== undefined) report.totalMs = performance.now() - options.startedAt;
  try {
    summaryLog.info(`summary written to ${writeReport(report, options.outputDir).join(', ')}`);
  } catch (err) {
    summaryLog.warn(`cannot write the summary to ${options.outputDir}: ${describeError(err)}`);
  }
  if (options.meta === undefined) return;
  try {
    const path = writeRunResults(runResults(report, { ...options.meta, finishedAt: new Date() }), options.outputDir);
    summaryLog.info(`run artifact written to ${path}`);
  } catch (err) {
    summaryLog.warn(`cannot write the run artifact to ${options.outputDir}: ${describeError(err)}`);
  }
}
