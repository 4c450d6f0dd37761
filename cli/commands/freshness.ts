import { ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatDuration, formatFreshness, freshnessThresholds, readFreshness } from '../../observe/freshness';
import type { Command, Io, Options } from '../command';
import { PROJECT_FLAG, PROJECT_HELP } from '../options';
import { projectOf } from '../project';
import { withDatabase } from '../with-database';

/** `elt freshness`: each source's last load and newest event against the thresholds; exit 9 past the error threshold. */
async function freshness(options: Options, io: Io): Promise<ExitCodeValue> {
  const project = projectOf(options, io.env);
  // checked before the database is opened
  const thresholds = freshnessThresholds(
    {
      warnAfter: options['warn-after'] as string | undefined,
      errorAfter: options['error-after'] as string | undefined,
      by: options.by as string | undefined,
    },
    options.project as string | undefined,
  );
  return withDatabase(
    io,
    async ({ pool }) => {
      const result = await readFreshness(pool, project.modelsDir, thresholds);
      io.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatFreshness(result));
      const judged = thresholds.by === 'load' ? 'last load' : 'newest event';
      const named = (state: 'warn' | 'error') =>
        result.sources
          .filter((source) => source.state === state)
          .map((source) => {
            const ms = thresholds.by === 'load' ? source.loadAgeMs : source.eventLagMs;
            return `${source.source} (${ms === null ? 'never' : `${formatDuration(ms)} ago`})`;
          })
          .join(', ');
      if (result.sources.length === 0) {
        io.log.error('no source has been loaded yet: nothing is fresh');
        return ExitCode.stale;
      }
      if (result.state === 'error') {
        io.log.error(`stale: ${judged} older than ${thresholds.errorAfter}: ${named('error')}`);
        return ExitCode.stale;
      }
      if (result.state === 'warn') io.log.warn(`${judged} older than ${thresholds.warnAfter} (a warning: exit 0): ${named('warn')}`);
      return ExitCode.ok;
    },
    project.database,
    { onlyReads: ExitCode.stale },
  );
}

export const freshnessCommand: Command = {
  name: 'freshness',
  summary: "time since each source's last successful load and newest event, against thresholds (exit 9 when stale)",
  usage: 'elt freshness [--warn-after <duration>] [--error-after <duration>] [--by load|event] [--json] [--project <dir>]',
  options: {
    'warn-after': { type: 'string' },
    'error-after': { type: 'string' },
    by: { type: 'string' },
    json: { type: 'boolean' },
    models: { type: 'string' },
    ...PROJECT_FLAG,
  },
  optionHelp: [
    '--warn-after <duration>     past this, a source is a warning (exit 0), e.g. 26h, 2d, 90m [project freshness.warnAfter, default 26h]',
    '--error-after <duration>    past this, a source is an error (exit 9) [project freshness.errorAfter, default 50h]',
    '--by load|event             judge the time since the last successful load (default) or since the newest event [project freshness.by]',
    '--json                      print JSON (for schedulers) instead of a table',
    ...PROJECT_HELP,
    "--models <dir>              model folder, where the event time is read (default: the package's models/)",
  ],
  example: 'npm run elt -- freshness --warn-after 26h --error-after 2d',
  run: freshness,
};
