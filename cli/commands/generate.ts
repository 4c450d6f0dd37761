import { generateLake } from '../../generator/generate-lake';
import { defineCommand, type CommandInput, type Io } from '../command';
import { describeError, EltError, ExitCode, type ExitCodeValue } from '../../core/errors';

const GENERATE_SETTINGS = ['generateOut', 'days', 'start', 'eventsPerDay', 'seed', 'gzip', 'noMalformed'] as const;

/** `elt generate`: the demo lake generator, as a command (its one CLI). */
async function generate({ settings }: CommandInput<(typeof GENERATE_SETTINGS)[number]>, io: Io): Promise<ExitCodeValue> {
  const outDir = settings.generateOut;
  if (!outDir) throw new EltError('no output folder: pass --out <dir>', ExitCode.usage);
  const files = await generateLake({
    outDir,
    days: settings.days,
    eventsPerDay: settings.eventsPerDay,
    seed: settings.seed,
    startDate: settings.start,
    gzip: settings.gzip,
    malformed: !settings.noMalformed,
  }).catch((err: unknown) => {
    throw new EltError(`generate: ${describeError(err)}`, ExitCode.usage, { cause: err });
  });
  for (const file of files) io.stdout.write(`${file.path}\t${file.rows} rows\t${file.malformedRows} malformed\n`);
  return ExitCode.ok;
}

export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'write a deterministic demo lake of realistic events (a few malformed rows included)',
  settings: GENERATE_SETTINGS,
  example: 'npm run elt -- generate --out /tmp/demo-lake --days 3',
  action: generate,
});
