import { formatLineageMermaid, formatLineageText, readLineage } from '../../observe/lineage';
import { readModels } from '../../transform/model-catalog';
import { readOrphans } from '../../transform/orphaned-models';
import { formatStatus, readStatus } from '../../observe/status';
import { acknowledgeFailure } from '../../loader/acknowledge-failure';
import type { Command, Io } from '../command';
import { describeError, ExitCode } from '../../core/errors';
import { PROJECT_FLAG, PROJECT_HELP, SELECT_FLAGS, selectionOf } from '../options';
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
  summary: 'a digest of the ledger, the marts, the streams and freshness (--all: every object); exit 13 when something needs attention',
  usage: 'elt status [--all] [--ack <uri>] [--json] [--project <dir>]',
  options: {
    json: { type: 'boolean' },
    all: { type: 'boolean' },
    ack: { type: 'string', multiple: true },
    models: { type: 'string' },
    ...PROJECT_FLAG,
  },
  optionHelp: [
    "--all                       every lake object and mart, and each source's freshness (default: a digest of what needs attention)",
    '--ack <uri>                 acknowledge the failure of this object (its file is gone from the lake): it stays listed, no longer needing attention (repeatable)',
    '--json                      print JSON instead of a table (all of it, with "attention")',
    ...PROJECT_HELP,
    "--models <dir>              model folder (default: the package's models/)",
  ],
  example: 'npm run elt -- status --all',
  run: (options, io) => {
    const project = projectOf(options, io.env);
    return withDatabase(
      io,
      async ({ pool }) => {
        for (const uri of (options.ack as string[] | undefined) ?? []) {
          await acknowledgeFailure(pool, uri);
          io.log.info(`acknowledged the failure of ${uri}: it no longer needs attention`);
        }
        const status = await readStatus(pool, project.modelsDir, { lagOf: (uri, position) => streamLag(uri, position, io) });
        io.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status, { all: options.all === true }));
        if (status.attention.length === 0) return ExitCode.ok;
        io.log.error(`needs attention: ${status.attention.join(', ')} (elt status shows each)`);
        return ExitCode.needsAttention;
      },
      project.database,
      { onlyReads: ExitCode.database },
    );
  },
};

export const lineageCommand: Command = {
  name: 'lineage',
  summary: "print the graph raw -> staging -> marts, read from the database's own dependency catalog",
  usage: 'elt lineage [--mermaid] [--select <selector>] [--exclude <selector>] [--project <dir>]',
  options: { mermaid: { type: 'boolean' }, ...PROJECT_FLAG, ...SELECT_FLAGS },
  optionHelp: [
    '--mermaid                   print a Mermaid flowchart instead of text',
    '--select / --exclude <sel>  only the models selected (with what they read), dbt style: +marts.x, path:marts',
    ...PROJECT_HELP,
  ],
  example: 'npm run elt -- lineage --mermaid',
  run: (options, io) => {
    const project = projectOf(options, io.env);
    const selected = selectionOf(options, project.modelsDir);
    return withDatabase(
      io,
      async ({ pool }) => {
        const edges = (await readLineage(pool)).filter((edge) => selected === undefined || selected.has(edge.model));
        // models whose files are gone are still in the graph: marked
        const orphaned = new Set((await readOrphans(pool, readModels(project.modelsDir))).map((orphan) => orphan.name));
        io.stdout.write(options.mermaid ? formatLineageMermaid(edges, orphaned) : formatLineageText(edges, orphaned));
        return ExitCode.ok;
      },
      project.database,
      { onlyReads: ExitCode.database },
    );
  },
};
