import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { explainRow } from '../../observe/explain-row';
import { formatExplanation } from '../../observe/format-explanation';
import type { Command, Io, Options } from '../command';
import { projectOf } from '../project';
import { withDatabase } from '../with-database';

/** `elt explain <mart> <key=value ...>`: the loads one mart row is made of, its late events and its last refresh. */
async function explain(options: Options, io: Io, positionals: string[]): Promise<ExitCodeValue> {
  const [mart, ...key] = positionals;
  if (mart === undefined)
    throw new EltError('elt explain needs a mart and its key, e.g. marts.article_performance article_id=... date=2019-02-15', ExitCode.usage);
  const project = projectOf(options, io.env);
  return withDatabase(
    io,
    async ({ pool }) => {
      const explanation = await explainRow(pool, project.modelsDir, mart, key);
      io.stdout.write(options.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
      return ExitCode.ok;
    },
    project.database,
    { onlyReads: ExitCode.database },
  );
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'the loads (files, stream batches) one mart row is made of, with their shares, what came late and the refresh that last wrote it',
  usage: 'elt explain <mart> <column=value ...> [--json]',
  options: { json: { type: 'boolean' }, models: { type: 'string' } },
  optionHelp: [
    '<mart>                      marts.article_performance, marts.user_performance or marts.category_ctr_daily',
    "<column=value ...>          the row's key, every key column once (e.g. article_id=... date=2019-02-15)",
    '--json                      print JSON instead of text',
    "--models <dir>              model folder, where the mart's key is read (default: the package's models/)",
    "A load's day is the day most of its events fall on; its events of an earlier day arrived late.",
    'Reads raw.loads and intermediate tables: run it as the owner. Exit 12: no such row; 2: unknown mart, column or a bad value.',
  ],
  example: 'npm run elt -- explain marts.article_performance article_id=jLcW_MnCfbLN8Ph-bsTwGw date=2019-02-15',
  positionals: true,
  run: explain,
};
