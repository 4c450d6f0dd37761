import { formatLineageMermaid, formatLineageText, readLineage } from '../../observe/lineage';
import { readModels } from '../../transform/model-catalog';
import { environmentToRead } from '../../transform/environment-sql';
import { environmentLineage, environmentMark } from '../../observe/environment-lineage';
import { readOrphans } from '../../transform/orphaned-models';
import { formatStatus, readStatus } from '../../observe/status';
import { acknowledgeFailure } from '../../loader/acknowledge-failure';
import { defineCommand, type Io } from '../command';
import { describeError, ExitCode } from '../../core/errors';
import { SELECT_SETTINGS, selectionOf } from '../options';
import { withDatabase } from '../with-database';

/** Messages in a stream past the ledger's position, asked of its broker; null when it does not answer. */
async function streamLag(uri: string, position: number, io: Io): Promise<number | null> {
  // the NATS client is loaded only when the ledger holds a stream
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require, as for the S3 SDK
  const { openNatsSource } = require('../../loader/stream/nats-source') as typeof import('../../loader/stream/nats-source');
  try {
    const source = await openNatsSource(uri, io.log);
    try {
      return Math.max(0, (await source.lastSequence()) - position);
    } finally {
      await source.close();
    }
  } catch (err) {
    io.log.warn(`no lag for ${uri}: ${describeError(err)}`);
    return null;
  }
}

export const statusCommand = defineCommand({
  name: 'status',
  summary: 'a digest of the ledger, the marts, the streams and freshness (--all: every object); exit 13 when something needs attention',
  settings: ['all', 'ack', 'json', 'project', 'models'],
  example: 'npm run elt -- status --all',
  action: ({ settings, project }, io) => {
    return withDatabase(
      io,
      async ({ pool }) => {
        for (const uri of settings.ack ?? []) {
          await acknowledgeFailure(pool, uri);
          io.log.info(`acknowledged the failure of ${uri}: it no longer needs attention`);
        }
        const status = await readStatus(pool, project.modelsDir, { lagOf: (uri, position) => streamLag(uri, position, io) });
        io.stdout.write(settings.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status, { all: settings.all }));
        if (status.attention.length === 0) return ExitCode.ok;
        io.log.error(`needs attention: ${status.attention.join(', ')} (elt status shows each)`);
        return ExitCode.needsAttention;
      },
      project.database,
      { onlyReads: ExitCode.database },
    );
  },
});

export const lineageCommand = defineCommand({
  name: 'lineage',
  summary: "print the graph raw -> staging -> marts, read from the database's own dependency catalog",
  settings: ['mermaid', ...SELECT_SETTINGS, 'project', 'models', 'environment'],
  notes: [
    '--select / --exclude: only the models selected (with what they read), e.g. +marts.x, path:marts.',
    '--env <name>: the graph as the environment holds the models (their SQL), each it holds marked with its relation (marts__<name>.x).',
  ],
  example: 'npm run elt -- lineage --mermaid',
  action: ({ settings, project, options }, io) => {
    const selected = selectionOf(options, project.modelsDir);
    return withDatabase(
      io,
      async ({ pool }) => {
        const models = readModels(project.modelsDir);
        const environment = settings.environment === undefined ? undefined : await environmentToRead(pool, settings.environment);
        const production = await readLineage(pool);
        const { edges: all, held } =
          environment === undefined ? { edges: production, held: new Map<string, string>() } : environmentLineage(production, models, environment);
        const edges = all.filter((edge) => selected === undefined || selected.has(edge.model));
        const marks = new Map([...held].map(([name, relation]) => [name, environmentMark(environment?.name ?? '', relation, settings.mermaid)]));
        // models whose files are gone are still in the graph: marked
        const orphaned = new Set((await readOrphans(pool, models)).map((orphan) => orphan.name));
        io.stdout.write(settings.mermaid ? formatLineageMermaid(edges, orphaned, marks) : formatLineageText(edges, orphaned, marks));
        return ExitCode.ok;
      },
      project.database,
      { onlyReads: ExitCode.database },
    );
  },
});
