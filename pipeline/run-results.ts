import { join } from 'node:path';
import { writeFileAtomic } from '../core/safe-write';
import { ensureTrustedDir } from '../core/trusted-path';
import type { RunReport } from './run-report';

/**
 * The run artifact, `run_results.json` beside the summary (dbt's run_results.json is
 * the model): which invocation, which version, when, how it ended, and per step and per
 * object, model or test what became of it, with its rows and time. Its keys are
 * snake_case, as the JSON log lines' are, and it carries the same invocation_id.
 */
export const RUN_RESULTS_FILE = 'run_results.json';

/** What became of one object, model, migration or data test of a step. */
export interface ItemResult {
  object?: string;
  model?: string;
  migration?: string;
  test?: string;
  status: string;
  rows?: number;
  rejected?: number;
  failures?: number;
  ms?: number;
  error?: string;
}

export interface StepResult {
  step: 'migrate' | 'load' | 'build' | 'refresh' | 'test';
  /** error: an object failed to load, a data test failed */
  status: 'ok' | 'error';
  ms: number;
  /** refresh: no load and no model changed since the last refresh */
  nothing_new?: boolean;
  results: ItemResult[];
}

export interface RunResults {
  invocation_id: string;
  elt_version: string;
  command: string;
  project?: string;
  started_at: string;
  finished_at: string;
  elapsed_ms: number;
  exit_code: number;
  steps: StepResult[];
}

export interface RunMeta {
  invocationId: string;
  version: string;
  command: string;
  startedAt: Date;
  finishedAt: Date;
  exitCode: number;
}

const ms = (value: number): number => Math.round(value);

/** The run artifact of a run's report: the steps it ran, in order, each with what became of its items. */
export function runResults(report: RunReport, meta: RunMeta): RunResults {
  const steps: StepResult[] = [];
  if (report.migrations) {
    const { applied } = report.migrations;
    steps.push({
      step: 'migrate',
      status: 'ok',
      ms: ms(report.migrations.ms),
      results: applied.map((migration) => ({ migration, status: 'applied' })),
    });
  }
  if (report.load) {
    const { summary } = report.load;
    steps.push({
      step: 'load',
      status: summary.failed > 0 ? 'error' : 'ok',
      ms: ms(report.load.ms),
      results: summary.objects.map((object) => ({
        object: object.uri,
        status: object.status,
        rows: object.rows,
        rejected: object.rejects,
        ms: ms(object.ms),
        ...(object.error === undefined ? {} : { error: object.error }),
      })),
    });
  }
  if (report.build) {
    const { result } = report.build;
    steps.push({
      step: 'build',
      status: 'ok',
      ms: ms(report.build.ms),
      results: [
        ...result.built.map((model) => ({ model, status: 'built', ms: ms(result.builtMs?.[model] ?? 0) })),
        ...result.unchanged.map((model) => ({ model, status: 'unchanged' })),
        ...result.orphaned.map((model) => ({ model, status: 'orphaned' })),
        ...result.pruned.map((model) => ({ model, status: 'pruned' })),
      ],
    });
  }
  if (report.refresh) {
    steps.push({
      step: 'refresh',
      status: 'ok',
      ms: ms(report.refresh.ms),
      nothing_new: report.refresh.nothingNew === true,
      results: report.refresh.marts.map((mart) => ({
        model: mart.name,
        status: mart.refreshed ? 'refreshed' : 'fresh',
        rows: mart.rows,
        ms: ms(mart.ms),
      })),
    });
  }
  if (report.tests) {
    const { results } = report.tests;
    steps.push({
      step: 'test',
      status: results.some((result) => result.failures > 0) ? 'error' : 'ok',
      ms: ms(report.tests.ms),
      results: results.map((result) => ({
        test: result.test.name,
        model: result.test.model,
        status: result.failures > 0 ? 'fail' : 'pass',
        failures: result.failures,
        ms: ms(result.ms),
        ...(result.error === undefined ? {} : { error: result.error }),
      })),
    });
  }
  return {
    invocation_id: meta.invocationId,
    elt_version: meta.version,
    command: meta.command,
    ...(report.project === undefined ? {} : { project: report.project }),
    started_at: meta.startedAt.toISOString(),
    finished_at: meta.finishedAt.toISOString(),
    elapsed_ms: ms(meta.finishedAt.getTime() - meta.startedAt.getTime()),
    exit_code: meta.exitCode,
    steps,
  };
}

/** Writes the run artifact into `dir` (never through a link: core/safe-write.ts); returns its path. */
export function writeRunResults(results: RunResults, dir: string): string {
  ensureTrustedDir(dir);
  const path = join(dir, RUN_RESULTS_FILE);
  writeFileAtomic(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}
