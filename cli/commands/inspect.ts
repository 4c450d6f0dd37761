import { formatLineageMermaid, formatLineageText, readLineage } from '../../observe/lineage';
import { readModels } from '../../transform/model-catalog';
import { readOrphans } from '../../transform/orphaned-models';
import { formatStatus, readStatus } from '../../observe/status';
import type { Command, Io } from '../command';
import { describeError, ExitCode } from '../../core/errors';
import { PROJECT_FLAG, PROJECT_HELP } from '../options';
import { projectOf } from '../project';
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

export const statusCommand: Command = {
  name: 'status',
  summary: "show the ledger (lake objects; streams: position, lag, last batch), each mart's rows and last refresh, and each source's freshness",
  usage: 'elt status [--json] [--project <dir>]',
  options: { json: { type: 'boolean' }, models: { type: 'string' }, ...PROJECT_FLAG },
  optionHelp: [
    '--json                      print JSON instead of a table',
    ...PROJECT_HELP,
    "--models <dir>              model folder (default: the package's models/)",
  ],
  example: 'npm run elt -- status --json',
  run: (options, io) => {
    const project = projectOf(options, io.env);
    return withDatabase(
      io,
      async ({ pool }) => {
        const status = await readStatus(pool, project.modelsDir, { lagOf: (uri, position) => streamLag(uri, position, io) });
        io.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
        return ExitCode.ok;
      },
      project.database,
    );
  },
};

export const lineageCommand: Command = {
  name: 'lineage',
  summary: "print the graph raw -> staging -> marts, read from the database's own dependency catalog",
  usage: 'elt lineage [--mermaid] [--project <dir>]',
  options: { mermaid: { type: 'boolean' }, ...PROJECT_FLAG },
  optionHelp: ['--mermaid                   print a Mermaid flowchart instead of text', ...PROJECT_HELP],
  example: 'npm run elt -- lineage --mermaid',
  run: (options, io) => {
    const project = projectOf(options, io.env);
    return withDatabase(
      io,
      async ({ pool }) => {
        const edges = await readLineage(pool);
        // models whose files are gone are still in the graph: marked
        const orphaned = new Set((await readOrphans(pool, readModels(project.modelsDir))).map((orphan) => orphan.name));
        io.stdout.write(options.mermaid ? formatLineageMermaid(edges, orphaned) : formatLineageText(edges, orphaned));
        return ExitCode.ok;
      },
      project.database,
    );
  },
};
