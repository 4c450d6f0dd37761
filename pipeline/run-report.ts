import type { LoadSummary } from '../loader/load-lake';
import type { BuildResult } from '../transform/build-models';
import type { DataTestResult } from '../transform/data-tests';
import type { RefreshedMart } from '../transform/refresh-marts';
import { join } from 'node:path';
import { formatMs } from '../core/log';
import { writeFileAtomic } from '../core/safe-write';
import { ensureTrustedDir } from '../core/trusted-path';
import { OUTPUT_NAMES, type ProjectOutput } from './project-outputs';

export interface RunReport {
  /** the project, when it is not the clickstream pipeline */
  project?: string;
  migrations?: { applied: string[]; ms: number };
  load?: { summary: LoadSummary; ms: number };
  build?: { result: BuildResult; ms: number };
  /** nothingNew: no load and no model changed since the last refresh (the summary says "nothing new") */
  refresh?: { marts: RefreshedMart[]; ms: number; nothingNew?: boolean };
  tests?: { results: DataTestResult[]; ms: number };
  /** the outputs the project declares, as drawn after the steps: in summary.json (the printed summary comes before them) */
  outputs?: OutputResult[];
  totalMs: number;
}

/** What became of one declared output in a run: drawn, left as it was (what it shows has not changed), or not drawn (a warning says why). */
export interface OutputResult {
  output: ProjectOutput;
  status: 'drawn' | 'unchanged' | 'failed';
  ms: number;
}

const number = (value: number): string => value.toLocaleString('en-US');

/** The human summary of a run, printed on stdout. */
export function formatReport(report: RunReport): string {
  const lines: string[] = [report.project ? `clickstream-elt summary: project ${report.project}` : 'clickstream-elt summary'];
  const step = (name: string, text: string, ms: number) => lines.push(`  ${name.padEnd(9)}${text.padEnd(66)}${formatMs(ms).padStart(10)}`);
  if (report.migrations) {
    const { applied, ms } = report.migrations;
    step('migrate', applied.length ? `${applied.length} applied` : 'up to date', ms);
  }
  if (report.load) {
    const { summary, ms } = report.load;
    step(
      'load',
      `${summary.objects.length} files: ${summary.loaded} loaded, ${summary.skipped} skipped, ${summary.failed} failed` +
        // shown when there are any, so the usual line (and what parses it) stays as it was
        `${summary.duplicates ? `, ${summary.duplicates} duplicate` : ''}; ` +
        `${number(summary.rows)} rows, ${number(summary.rejects)} rejected`,
      ms,
    );
    for (const failed of summary.objects.filter((o) => o.status === 'failed')) lines.push(`    FAILED ${failed.uri}: ${failed.error}`);
  }
  if (report.build) {
    const { result, ms } = report.build;
    const extra = `${result.orphaned.length ? `, ${result.orphaned.length} orphaned` : ''}${result.pruned.length ? `, ${result.pruned.length} pruned` : ''}`;
    step('build', `${result.built.length} built, ${result.unchanged.length} unchanged${extra}`, ms);
    if (result.orphaned.length) lines.push(`    ORPHANED (no model file; kept, elt build --prune drops them): ${result.orphaned.join(', ')}`);
    if (result.pruned.length) lines.push(`    PRUNED (orphans dropped as asked): ${result.pruned.join(', ')}`);
  }
  if (report.refresh) {
    const { marts, ms } = report.refresh;
    const { nothingNew } = report.refresh;
    step(
      'refresh',
      nothingNew ? `nothing new: ${marts.length} marts up to date` : `${marts.filter((m) => m.refreshed).length} of ${marts.length} marts refreshed`,
      ms,
    );
    for (const mart of marts) lines.push(`    ${mart.name.padEnd(32)}${number(mart.rows).padStart(12)} rows`);
  }
  if (report.tests) {
    const { results, ms } = report.tests;
    const failed = results.filter((result) => result.failures > 0);
    step('test', `${results.length - failed.length} of ${results.length} data tests passed (elt test also runs those reading raw)`, ms);
    for (const result of failed)
      lines.push(`    FAILED ${result.test.name} (${result.test.model}): ${result.error ?? `${result.failures} offending row(s)`}`);
  }
  if (report.outputs) {
    const ms = report.outputs.reduce((sum, output) => sum + output.ms, 0);
    step('outputs', report.outputs.map((output) => `${OUTPUT_NAMES[output.output]} ${output.status}`).join(', '), ms);
  }
  lines.push(`  ${'total'.padEnd(75)}${formatMs(report.totalMs).padStart(10)}`);
  return `${lines.join('\n')}\n`;
}

/** Writes the summary as summary.txt (as printed) and summary.json (for machines) into `dir` (never through a link); returns the paths. */
export function writeReport(report: RunReport, dir: string): string[] {
  ensureTrustedDir(dir);
  const text = join(dir, 'summary.txt');
  const json = join(dir, 'summary.json');
  writeFileAtomic(text, formatReport(report));
  writeFileAtomic(json, `${JSON.stringify({ ...report, finishedAt: new Date().toISOString() }, null, 2)}\n`);
  return [text, json];
}
