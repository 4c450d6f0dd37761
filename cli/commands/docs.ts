import { join } from 'node:path';
import type { Pool } from 'pg';
import { loadChartModule } from '../../chart/load-chart';
import { readModels } from '../../transform/model-catalog';
import { describeError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { timed } from '../../core/log';
import { checkTrustedDir } from '../../core/trusted-path';
import { freshnessThresholds } from '../../observe/freshness';
import { readDocs } from '../../observe/docs-site/read-docs';
import { writeDocsSite } from '../../observe/docs-site/write-site';
import type { Command, Io, Options } from '../command';
import { PROJECT_FLAG, PROJECT_HELP } from '../options';
import { projectOf } from '../project';
import { withDatabase } from '../with-database';

/** The chart mart of the clickstream models: a project without it has no chart. */
const CHART_MART = 'marts.category_ctr_daily';

/**
 * The CTR chart drawn now from the database the site documents (never a file another
 * database's `elt chart` left in the output folder); undefined, with a warning saying
 * why, when its mart cannot be drawn (empty, not built), and silently when the project has no such mart.
 */
async function drawChart(pool: Pool, modelsDir: string, io: Io): Promise<Uint8Array | undefined> {
  if (!readModels(modelsDir).some((model) => model.name === CHART_MART)) return undefined;
  try {
    const { result } = await timed(io.log, 'chart', () => loadChartModule().drawCategoryCtrChart(pool, {}));
    if (result.leftOut !== undefined) io.log.warn(result.leftOut);
    return result.png;
  } catch (err) {
    io.log.warn(`no chart: ${describeError(err)} (the site says so)`);
    return undefined;
  }
}

/** `elt docs`: the static docs site (models, columns, lineage, tests, sources, chart) in one folder. */
async function docs(options: Options, io: Io): Promise<ExitCodeValue> {
  const project = projectOf(options, io.env);
  const outputDir = io.env.ELT_OUTPUT_DIR || join(io.home ?? '.', 'out');
  const outDir = (options.out as string | undefined) || join(outputDir, 'docs');
  const chartPng = options.chart as string | undefined;
  const thresholds = freshnessThresholds({}, options.project as string | undefined);
  checkTrustedDir(outDir); // before the database is opened
  return withDatabase(
    io,
    async ({ pool }) => {
      const { result: data } = await timed(io.log, 'docs', () =>
        readDocs(pool, { modelsDir: project.modelsDir, thresholds, runTests: options['no-tests'] !== true }),
      );
      const chart = chartPng === undefined ? await drawChart(pool, project.modelsDir, io) : undefined;
      const site = writeDocsSite(data, { outDir, chart, chartPng, title: `${project.name} docs` });
      const failed = (data.tests ?? []).filter((test) => !test.passed).length;
      io.log.info(
        `documented ${data.models.length} models${data.tests ? `, ${data.tests.length} data tests (${failed} failed)` : ''}, ${data.freshness.sources.length} sources${site.chart ? ', the CTR chart' : ''}`,
      );
      if (chartPng !== undefined && !site.chart) io.log.warn(`no chart at ${chartPng}: the site says so`);
      io.stdout.write(`${site.index}\n`);
      return ExitCode.ok;
    },
    project.database,
    { onlyReads: ExitCode.database },
  );
}

export const docsCommand: Command = {
  name: 'docs',
  summary: 'write a static docs site (models, columns, lineage graph, data tests, source freshness, the chart): open index.html from disk',
  usage: 'elt docs [--out <dir>] [--chart <png>] [--no-tests] [--project <dir>]',
  options: { out: { type: 'string' }, chart: { type: 'string' }, 'no-tests': { type: 'boolean' }, models: { type: 'string' }, ...PROJECT_FLAG },
  optionHelp: [
    '--out <dir>                 where to write index.html [default: <ELT_OUTPUT_DIR or ./out>/docs]',
    '--chart <png>               copy this PNG into the site as the chart [default: the CTR chart drawn now from the database documented]',
    '--no-tests                  do not run the data tests (the site then shows no results); by default they run now',
    ...PROJECT_HELP,
    "--models <dir>              model folder (default: the package's models/)",
  ],
  example: 'npm run elt -- docs',
  run: docs,
};
