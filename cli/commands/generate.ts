import { DEFAULT_LAKE_OPTIONS, generateLake } from '../../generator/generate-lake';
import type { Command, Io, Options } from '../command';
import { describeError, EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { numberOption } from '../options';

/** `elt generate`: the demo lake generator, as a command (its one CLI). */
async function generate(options: Options, io: Io): Promise<ExitCodeValue> {
  const outDir = options.out as string | undefined;
  if (!outDir) throw new EltError('no output folder: pass --out <dir>', ExitCode.usage);
  const integer = (flag: string, fallback: number) => numberOption(options, {}, flag, undefined, fallback, (n) => Number.isInteger(n) && n >= 1);
  const files = await generateLake({
    outDir,
    days: integer('days', DEFAULT_LAKE_OPTIONS.days),
    eventsPerDay: integer('events-per-day', DEFAULT_LAKE_OPTIONS.eventsPerDay),
    seed: integer('seed', DEFAULT_LAKE_OPTIONS.seed),
    startDate: (options.start as string | undefined) ?? DEFAULT_LAKE_OPTIONS.startDate,
    gzip: options.gzip === true,
    malformed: options['no-malformed'] !== true,
  }).catch((err: unknown) => {
    throw new EltError(`generate: ${describeError(err)}`, ExitCode.usage, { cause: err });
  });
  for (const file of files) io.stdout.write(`${file.path}\t${file.rows} rows\t${file.malformedRows} malformed\n`);
  return ExitCode.ok;
}

const d = DEFAULT_LAKE_OPTIONS;
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
    'no-malformed': { type: 'boolean' },
  },
  optionHelp: [
    '--out <dir>                 where to write <YYYY-MM-DD>.tsv files',
    `--days <n>                  how many daily files (default ${d.days})`,
    `--start <YYYY-MM-DD>        first day (default ${d.startDate})`,
    `--events-per-day <n>        about this many events per file (default ${d.eventsPerDay})`,
    `--seed <n>                  same seed, same bytes (default ${d.seed})`,
    '--gzip                      write .tsv.gz files',
    '--no-malformed              leave out the rows the contract rejects (default: ~0.1%, every kind)',
  ],
  example: 'npm run elt -- generate --out /tmp/demo-lake --days 3',
  run: generate,
};
