import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatEnvironments } from '../../observe/format-environments';
import { dropEnvironment, readEnvironments } from '../../transform/environments';
import { defineCommand, type CommandInput, type Io } from '../command';
import { withDatabase } from '../with-database';

/** `elt env list` / `elt env drop <name>`. */
async function env({ settings, project }: CommandInput<'json' | 'project'>, io: Io, args: string[]): Promise<ExitCodeValue> {
  const [action, name, ...rest] = args;
  if (action === 'list' && name === undefined) {
    return withDatabase(
      io,
      async ({ pool }) => {
        const environments = await readEnvironments(pool);
        io.stdout.write(settings.json ? `${JSON.stringify(environments, null, 2)}\n` : formatEnvironments(environments));
        return ExitCode.ok;
      },
      project.database,
      { onlyReads: ExitCode.database },
    );
  }
  if (action === 'drop' && name !== undefined && rest.length === 0) {
    return withDatabase(
      io,
      async ({ pool }) => {
        const dropped = await dropEnvironment(pool, name);
        io.stdout.write(`dropped environment ${name}${dropped.length > 0 ? ` (schemas ${dropped.join(', ')})` : ''}\n`);
        return ExitCode.ok;
      },
      project.database,
    );
  }
  throw new EltError('elt env takes "list" or "drop <name>", e.g. elt env drop dev', ExitCode.usage);
}

export const envCommand = defineCommand({
  name: 'env',
  summary: 'list the environments (name, owner, age, size, models) or drop one: elt env list, elt env drop <name>',
  settings: ['json', 'project'],
  argument: [
    { name: 'list|drop', required: true, help: 'list every environment, or drop one' },
    { name: 'name', required: false, help: 'the environment to drop (only its own <layer>__<name> schemas are dropped)' },
  ],
  notes: ['An analyst may drop only the environments its own login built; the owner any. A name never built drops nothing (exit 2).'],
  example: 'npm run elt -- env list    # then: elt env drop <name>',
  action: env,
});
