import { ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatDuration, formatFreshness, freshnessThresholds, readFreshness } from '../../observe/freshness';
import { defineCommand, type CommandInput, type Io } from '../command';
import { withDatabase } from '../with-database';

const FRESHNESS_SETTINGS = ['warnAfter', 'errorAfter', 'freshnessBy', 'json', 'project', 'models'] as const;

/** `elt freshness`: each source's last load and newest event against the thresholds; exit 9 past the error threshold. */
async function freshness({ settings, project }: CommandInput<(typeof FRESHNESS_SETTINGS)[number]>, io: Io): Promise<ExitCodeValue> {
  // checked before the database is opened
  const thresholds = freshnessThresholds({ warnAfter: settings.warnAfter, errorAfter: settings.errorAfter, by: settings.freshnessBy });
  return withDatabase(
    io,
    async ({ pool }) => {
      const result = await readFreshness(pool, project.modelsDir, thresholds);
      io.stdout.write(settings.json ? `${JSON.stringify(result, null, 2)}\n` : formatFreshness(result));
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

export const freshnessCommand = defineCommand({
  name: 'freshness',
  summary: "time since each source's last successful load and newest event, against thresholds (exit 9 when stale)",
  settings: FRESHNESS_SETTINGS,
  example: 'npm run elt -- freshness --warn-after 26h --error-after 2d',
  action: freshness,
});
