import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { diffEnvironment, formatDiff, martDiffers } from '../../observe/diff-environment';
import { defineCommand, type CommandInput, type Io } from '../command';
import { withDatabase } from '../with-database';

/** `elt diff --env <name> [model ...]`: the environment's marts against production's, by key; exit 14 when they differ. */
async function diff({ settings, project }: CommandInput<'environment' | 'json' | 'project'>, io: Io, models: string[]): Promise<ExitCodeValue> {
  const environment = settings.environment;
  if (environment === undefined) throw new EltError('elt diff needs --env <name>: the environment to compare with production', ExitCode.usage);
  return withDatabase(
    io,
    async ({ pool }) => {
      const diffs = await diffEnvironment(pool, { dir: project.modelsDir, environment, models });
      io.stdout.write(settings.json ? `${JSON.stringify(diffs, null, 2)}\n` : formatDiff(diffs, environment));
      return diffs.some(martDiffers) ? ExitCode.differs : ExitCode.ok;
    },
    project.database,
    { onlyReads: ExitCode.database },
  );
}

export const diffCommand = defineCommand({
  name: 'diff',
  summary: "compare an environment's marts with production's by key: rows only in one, changed rows column by column",
  settings: ['environment', 'json', 'project', 'models'],
  argument: { name: 'mart...', required: false, help: 'only these marts of the environment, e.g. category_ctr_daily (default: all it holds)' },
  notes: ['Exit 0: the same rows; 14: they differ; 2: no such environment or mart.'],
  example: 'npm run elt -- diff --env dev category_ctr_daily',
  action: diff,
});
