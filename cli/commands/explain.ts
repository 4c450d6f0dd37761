import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { explainRow } from '../../observe/explain-row';
import { formatExplanation } from '../../observe/format-explanation';
import { defineCommand, type CommandInput, type Io } from '../command';
import { withDatabase } from '../with-database';

/** `elt explain <mart> <key=value ...>`: the loads one mart row is made of, its late events and its last refresh. */
async function explain({ settings, project }: CommandInput<'json' | 'models'>, io: Io, positionals: string[]): Promise<ExitCodeValue> {
  const [mart, ...key] = positionals;
  if (mart === undefined)
    throw new EltError('elt explain needs a mart and its key, e.g. marts.article_performance article_id=... date=2019-02-15', ExitCode.usage);
  return withDatabase(
    io,
    async ({ pool }) => {
      const explanation = await explainRow(pool, project.modelsDir, mart, key);
      io.stdout.write(settings.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
      return ExitCode.ok;
    },
    project.database,
    { onlyReads: ExitCode.database },
  );
}

export const explainCommand = defineCommand({
  name: 'explain',
  summary: 'the loads (files, stream batches) one mart row is made of, with their shares, what came late and the refresh that last wrote it',
  settings: ['json', 'models'],
  argument: [
    { name: 'mart', required: false, help: 'marts.article_performance, marts.user_performance or marts.category_ctr_daily' },
    { name: 'column=value...', required: false, help: "the row's key, every key column once (e.g. article_id=... date=2019-02-15)" },
  ],
  notes: [
    "A load's day is the day most of its events fall on; its events of an earlier day arrived late.",
    'Reads raw.loads and intermediate tables: run it as the owner. Exit 12: no such row; 2: unknown mart, column or a bad value.',
  ],
  example: 'npm run elt -- explain marts.article_performance article_id=jLcW_MnCfbLN8Ph-bsTwGw date=2019-02-15',
  action: explain,
});
