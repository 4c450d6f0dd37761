import type { Pool } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { checkTrustedDir } from '../core/trusted-path';
import type { LakeObject } from '../loader/sources/lake-object';
import type { LoadLakeOptions } from '../loader/load-lake';
import { isRefreshTarget, readModels } from '../transform/model-catalog';
import type { PruneRequest } from '../transform/orphaned-models';
import { hasPendingChanges } from '../transform/pending-changes';
import { selectModels } from '../transform/select-models';
import { checkSettings, type ModelSettings } from '../transform/settings';
import { claimDatabase } from './claim-database';
import { DEFAULT_PROJECT_NAME, type Project } from './project';
import type { RunReport } from './run-report';
import type { RunMeta } from './run-results';
import { buildStep, loadStep, migrateStep, outputStep, refreshStep, settingsStep, testStep } from './steps';

/** Which part of the pipeline to run: `run` is all of it. */
export type PipelineCommand = 'run' | 'load' | 'build' | 'refresh';

export interface PipelineConfig {
  command: PipelineCommand;
  project: Project;
  migrationsDir: string;
  /** the objects to load (listed before the database is touched: a bad source fails first) */
  objects: LakeObject[];
  loadOptions: Partial<LoadLakeOptions>;
  settings: ModelSettings;
  /** build: rebuild every model / these models and everything downstream */
  full?: boolean;
  /** build, refresh: dbt's --select / --exclude (transform/select-models.ts), each flag's values */
  select?: string[];
  exclude?: string[];
  /** build: drop these orphaned models (their files are gone), or all of them; else they are kept */
  prune?: PruneRequest;
  /** build, refresh, migrate: the most to wait in all for locks readers hold (db/lock-wait.ts; default 300 s) */
  lockWaitSeconds?: number;
  /** refresh: only these marts */
  marts?: string[];
  /** run: where the summary and the chart go */
  outputDir?: string;
  /** aborted on an interrupt: no further step starts */
  signal: AbortSignal;
}

/** What a pipeline command checks before it touches any data: a missing models folder, an output folder another account could have planted. */
export function checkPipelineInput(config: Pick<PipelineConfig, 'command' | 'project' | 'outputDir' | 'select' | 'exclude'>): void {
  if (config.command !== 'load') readModels(config.project.modelsDir);
  if (config.command === 'run') checkTrustedDir(config.outputDir ?? './out');
  // a selection that names no model fails before the database is touched
  if (config.command === 'refresh') refreshSelection(config);
  else if (config.select !== undefined || config.exclude !== undefined) {
    selectModels(readModels(config.project.modelsDir), { select: config.select, exclude: config.exclude, modelsDir: config.project.modelsDir });
  }
}

/**
 * The marts `elt refresh --select/--exclude` refreshes: the selected models a refresh
 * brings up to date (transform/model-catalog.ts isRefreshTarget). The incremental models are
 * folded together by every refresh, whatever is selected (they share their inputs' new
 * loads), so a selection limits the materialized views refreshed; one with none of them is
 * refused. Undefined without a selection.
 */
function refreshSelection(config: Pick<PipelineConfig, 'project' | 'select' | 'exclude'>): string[] | undefined {
  if (config.select === undefined && config.exclude === undefined) return undefined;
  const models = readModels(config.project.modelsDir);
  const selected = new Set(selectModels(models, { select: config.select, exclude: config.exclude, modelsDir: config.project.modelsDir }));
  const targets = models.filter(isRefreshTarget).map((model) => model.name);
  const only = targets.filter((name) => selected.has(name));
  if (only.length === 0) {
    throw new EltError(
      `elt refresh: the selection holds none of the models a refresh refreshes (${targets.join(', ')}); views need no refresh and the incremental models are brought up to date by every refresh`,
      ExitCode.usage,
    );
  }
  return only;
}

/**
 * migrate → load → settings → build → refresh → data tests → outputs, the steps of
 * `config.command`, on `pool`. Every setting is checked before anything changes (a
 * typo never follows a committed load); an interrupt stops it between steps.
 */
export async function runPipeline(pool: Pool, config: PipelineConfig, log: Logger): Promise<RunReport> {
  const started = performance.now();
  const { command, project, signal } = config;
  const withLoad = command === 'run' || command === 'load';
  const withModels = command !== 'load';
  const report: RunReport = { totalMs: 0 };
  if (project.name !== DEFAULT_PROJECT_NAME) report.project = project.name;
  if (withModels) await checkSettings(pool, config.settings);

  const lockWait = { limitSeconds: config.lockWaitSeconds, signal };
  report.migrations = await migrateStep(pool, config.migrationsDir, log, lockWait);
  await claimDatabase(pool, project);
  signal.throwIfAborted();
  // the server's clock: what this run loads finishes after it (the run's data tests look at those rows)
  const runStartedAt = (await pool.query<{ now: Date }>('select clock_timestamp() as now')).rows[0]?.now as Date;
  if (withLoad) report.load = await loadStep(pool, config.objects, log, { ...config.loadOptions, signal });
  signal.throwIfAborted();
  if (withModels) await settingsStep(pool, config.settings, log);
  // nothing to fold and nothing built below: a run with nothing new, said so (not "3 of 3 marts refreshed")
  const pendingBefore = command === 'run' || command === 'refresh' ? await hasPendingChanges(pool) : true;
  let fresh = new Set<string>();
  if (command === 'run' || command === 'build') {
    report.build = await buildStep(
      pool,
      { modelsDir: project.modelsDir, full: config.full === true, select: config.select, exclude: config.exclude, prune: config.prune, lockWait },
      log,
    );
    fresh = new Set(report.build.result.built);
  }
  signal.throwIfAborted();
  if (command === 'run' || command === 'refresh') {
    const only = config.marts?.length
      ? config.marts.map((name) => (name.includes('.') ? name : `marts.${name}`))
      : command === 'refresh'
        ? refreshSelection(config)
        : undefined;
    report.refresh = await refreshStep(pool, { modelsDir: project.modelsDir, alreadyFresh: fresh, only, lockWait }, log);
    if (!pendingBefore && fresh.size === 0) {
      report.refresh.nothingNew = true;
      log.info('nothing new: no load and no model changed since the last refresh', { step: 'refresh', event: 'nothing_new' });
    }
  }
  signal.throwIfAborted();
  if (command === 'run') report.tests = await testStep(pool, project.modelsDir, runStartedAt, log);
  signal.throwIfAborted();
  report.totalMs = performance.now() - started;
  return report;
}

/**
 * After a run: the outputs its project declares (docs site, chart), then its summary (with
 * what became of each output, and a total counted from `startedAt`) and the run artifact
 * (when `meta` is given) in the output folder.
 */
export function writeRunOutputs(
  pool: Pool,
  report: RunReport,
  config: PipelineConfig,
  log: Logger,
  meta?: Omit<RunMeta, 'finishedAt'>,
  startedAt?: number,
): Promise<void> {
  return outputStep(
    pool,
    report,
    { outputDir: config.outputDir ?? './out', outputs: config.project.outputs, modelsDir: config.project.modelsDir, meta, startedAt },
    log,
  );
}
