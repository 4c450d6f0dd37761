import { generateLake } from '../../scripts/generate-lake';
import type { Command, Io, Options } from '../command';
import { describeError, EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { numberOption } from '../options';

/** `elt generate`: the demo lake generator, as a command. */
async function generate(options: Options, io: Io): Promise<ExitCodeValue> {
  const outDir = options.out as string | undefined;
  if (!outDir) throw new EltError('no output folder: pass --out <dir>', ExitCode.usage);
  const integer = (flag: string, fallback: number) => numberOption(options, {}, flag, undefined, fallback, (n) => Number.isInteger(n) && n >= 1);
  const files = await generateLake({
    outDir,
    days: integer('days', 5),
    eventsPerDay: integer('events-per-day', 2000),
    seed: integer('seed', 42),
    startDate: (options.start as string | undefined) ?? '2019-02-15',
    gzip: options.gzip === true,
  }).catch((err: unknown) => {
    throw new EltError(`generate: ${describeError(err)}`, ExitCode.usage, { cause: err });
  });
  for (const file of files) io.stdout.write(`${file.path}\t${file.rows} rows\t${file.malformedRows} malformed\n`);
  return ExitCode.ok;
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'write a deterministic demo lake of realistic events (a few malformed rows included)',
  usage: 'elt generate --out <dir> [options]',
  options: {
    out: { type: 'string' },
    days: { type: 'string' },
    start: { type: 'string' },
    'events-per-day': { type: 'string' },
    seed: { type: 'string' },
    gzip: { type: 'boolean' },
  },
  optionHelp: [
    '--out <dir>                 where to write <YYYY-MM-DD>.tsv files',
    '--days <n>                  how many daily files (default 5)',
    '--start <YYYY-MM-DD>        first day (default 2019-02-15)',
    '--events-per-day <n>        about this many events per file (default 2000)',
    '--seed <n>                  same seed, same bytes (default 42)',
    '--gzip                      write .tsv.gz files',
  ],
  example: 'npm run elt -- generate --out /tmp/demo-lake --days 3',
  run: generate,
};
