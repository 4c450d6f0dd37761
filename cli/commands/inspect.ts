import { formatLineageMermaid, formatLineageText, readLineage } from '../../transform/lineage';
import { formatStatus, readStatus } from '../../transform/status';
import type { Command } from '../command';
import { ExitCode } from '../../core/errors';
import { PROJECT_FLAG, PROJECT_HELP } from '../options';
import { projectOf } from '../project';
import { withDatabase } from '../with-database';

export const statusCommand: Command = {
  name: 'status',
  summary: "show the ledger (loaded, failed, unfinished objects), each mart's rows, last refresh and staleness",
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
        const status = await readStatus(pool, project.modelsDir);
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
  run: (options, io) =>
    withDatabase(
      io,
      async ({ pool }) => {
        const edges = await readLineage(pool);
        io.stdout.write(options.mermaid ? formatLineageMermaid(edges) : formatLineageText(edges));
        return ExitCode.ok;
      },
      projectOf(options, io.env).database,
    ),
};
