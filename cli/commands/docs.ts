import { join } from 'node:path';
import { ExitCode, type ExitCodeValue } from '../../core/errors';
import { timed } from '../../core/log';
import { checkTrustedDir } from '../../core/trusted-path';
import { resolveSetting } from '../../core/settings/resolve-settings';
import { freshnessThresholds } from '../../transform/freshness';
import { readDocs } from '../../transform/docs-site/read-docs';
import { writeDocsSite } from '../../transform/docs-site/write-site';
import { defineCommand, type CommandInput, type Io } from '../command';
import { withDatabase } from '../with-database';

/** The site judges the sources' freshness as elt freshness does: flags, else the project file's thresholds, else the defaults. */
const DOCS_SETTINGS = ['docsOut', 'docsChart', 'noTests', 'project', 'models', 'warnAfter', 'errorAfter', 'freshnessBy'] as const;

/** `elt docs`: the static docs site (models, columns, lineage, tests, sources, chart) in one folder. */
async function docs({ settings, project }: CommandInput<(typeof DOCS_SETTINGS)[number]>, io: Io): Promise<ExitCodeValue> {
  // the site goes where the run's outputs go (ELT_OUTPUT_DIR) unless --out says otherwise
  const outputDir = resolveSetting('outputDir', { env: io.env });
  const outDir = settings.docsOut ?? join(outputDir, 'docs');
  const chartPng = settings.docsChart ?? join(outputDir, 'ctr_per_category.png');
  const thresholds = freshnessThresholds({ warnAfter: settings.warnAfter, errorAfter: settings.errorAfter, by: settings.freshnessBy });
  checkTrustedDir(outDir); // before the database is opened
  return withDatabase(
    io,
    async ({ pool }) => {
      const { result: data } = await timed(io.log, 'docs', () =>
        readDocs(pool, { modelsDir: project.modelsDir, thresholds, runTests: !settings.noTests }),
      );
      const site = writeDocsSite(data, { outDir, chartPng, title: `${project.name} docs` });
      const failed = (data.tests ?? []).filter((test) => !test.passed).length;
      io.log.info(
        `documented ${data.models.length} models${data.tests ? `, ${data.tests.length} data tests (${failed} failed)` : ''}, ${data.freshness.sources.length} sources${site.chart ? ', the CTR chart' : ''}`,
      );
      if (!site.chart) io.log.warn(`no chart at ${chartPng}: the site says so (run elt chart first to include it)`);
      io.stdout.write(`${site.index}\n`);
      return ExitCode.ok;
    },
    project.database,
  );
}

export const docsCommand = defineCommand({
  name: 'docs',
  summary: 'write a static docs site (models, columns, lineage graph, data tests, source freshness, the chart): open index.html from disk',
  settings: DOCS_SETTINGS,
  example: 'npm run elt -- docs',
  action: docs,
});
