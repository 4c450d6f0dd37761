import { join } from 'node:path';
import type { Pool } from 'pg';
import { loadChartModule } from '../../chart/load-chart';
import { readModels } from '../../transform/model-catalog';
import { checkEnvironmentName } from '../../transform/environment-name';
import { environmentToRead } from '../../transform/environment-sql';
import { describeError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { timed } from '../../core/log';
import { checkTrustedDir } from '../../core/trusted-path';
import { resolveSetting } from '../../core/settings/resolve-settings';
import { freshnessThresholds } from '../../observe/freshness';
import { readDocs } from '../../observe/docs-site/read-docs';
import { selectDocs } from '../../observe/docs-site/select-docs';
import { writeDocsSite } from '../../observe/docs-site/write-site';
import { defineCommand, type CommandInput, type Io } from '../command';
import { SELECT_SETTINGS, selectionOf } from '../options';
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

/** The site judges the sources' freshness as elt freshness does: flags, else the project file's thresholds, else the defaults. */
const DOCS_SETTINGS = [
  'docsOut',
  'docsChart',
  'noTests',
  ...SELECT_SETTINGS,
  'project',
  'models',
  'warnAfter',
  'errorAfter',
  'freshnessBy',
  'environment',
] as const;

/** `elt docs`: the static docs site (models, columns, lineage, tests, sources, chart) in one folder. */
async function docs({ settings, project, options }: CommandInput<(typeof DOCS_SETTINGS)[number]>, io: Io): Promise<ExitCodeValue> {
  // the site goes where the run's outputs go (ELT_OUTPUT_DIR, else <home>/out) unless --out says otherwise;
  // an environment's site beside it (docs__<name>: never production's), its name checked before it makes a path
  const environmentName = settings.environment === undefined ? undefined : checkEnvironmentName(settings.environment);
  const outputDir = resolveSetting('outputDir', { env: io.env }) ?? join(io.home ?? '.', 'out');
  const outDir = settings.docsOut ?? join(outputDir, environmentName === undefined ? 'docs' : `docs__${environmentName}`);
  const chartPng = settings.docsChart;
  const thresholds = freshnessThresholds({ warnAfter: settings.warnAfter, errorAfter: settings.errorAfter, by: settings.freshnessBy });
  checkTrustedDir(outDir); // before the database is opened
  const selected = selectionOf(options, project.modelsDir); // a bad selection too
  return withDatabase(
    io,
    async ({ pool }) => {
      const environment = environmentName === undefined ? undefined : await environmentToRead(pool, environmentName);
      const { result: all } = await timed(io.log, 'docs', () =>
        readDocs(pool, { modelsDir: project.modelsDir, thresholds, runTests: !settings.noTests, environment }),
      );
      const data = selected === undefined ? all : selectDocs(all, selected);
      // the chart is drawn from production's mart: not for an environment holding its own
      const ownChartMart = environment?.held.has(CHART_MART) === true;
      if (ownChartMart && chartPng === undefined)
        io.log.warn(`no chart: environment ${environment?.name} holds its own ${CHART_MART} (the chart draws production's)`);
      const chart = chartPng === undefined && !ownChartMart ? await drawChart(pool, project.modelsDir, io) : undefined;
      const title = `${project.name} docs${environment === undefined ? '' : ` (environment ${environment.name})`}`;
      const site = writeDocsSite(data, { outDir, chart, chartPng, title });
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

export const docsCommand = defineCommand({
  name: 'docs',
  summary: 'write a static docs site (models, columns, lineage graph, data tests, source freshness, the chart): open index.html from disk',
  settings: DOCS_SETTINGS,
  notes: [
    '--select / --exclude: document only the models selected (their lineage, their tests), e.g. +marts.x, path:marts.',
    "--env <name>: the models as the environment holds them (its relations' columns, its SQL's lineage, the tests on it), each it holds marked, in <out>/docs__<name>.",
  ],
  example: 'npm run elt -- docs',
  action: docs,
});
