import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { promoteEnvironment } from '../../transform/promote-environment';
import { defineCommand, type CommandInput, type Io } from '../command';
import { withDatabase } from '../with-database';

/** `elt promote --env <name>`: production takes the environment's models in one swap; the environment is dropped. */
async function promote({ settings, project }: CommandInput<'environment' | 'project' | 'lockWaitSeconds'>, io: Io): Promise<ExitCodeValue> {
  const environment = settings.environment;
  if (environment === undefined) throw new EltError('elt promote needs --env <name>: the environment production takes the models of', ExitCode.usage);
  return withDatabase(
    io,
    async ({ pool }) => {
      const lockWait = { limitSeconds: settings.lockWaitSeconds, signal: io.signal };
      const result = await promoteEnvironment(pool, { dir: project.modelsDir, environment, log: io.log, lockWait });
      io.stdout.write(
        `promoted environment ${environment}: production took ${result.promoted.length} model(s) (${result.promoted.join(', ')}); dropped ${result.dropped.join(', ')}\n`,
      );
      return ExitCode.ok;
    },
    project.database,
  );
}

export const promoteCommand = defineCommand({
  name: 'promote',
  summary: "make production take an environment's models in one short swap, then drop the environment",
  settings: ['environment', 'project', 'models', 'lockWaitSeconds'],
  notes: [
    'Refused (exit 2, nothing changed) when production moved since the environment was built (a load, a refresh, a build or another promotion): elt build --env <name> brings it up to date.',
    "Only the login that built the environment, as the project's owner, promotes it; readers see the old marts or the new ones, never a mix (exit 11: a reader held a mart longer than --lock-wait-seconds).",
  ],
  example: 'npm run elt -- promote --env dev',
  action: promote,
});
