import { formatTextTable } from '../core/text-table';
import type { Explanation, LoadPart } from './explain-row';
import { shown } from './terminal-safe';

const percent = (share: number | null): string => (share === null ? '-' : `${(share * 100).toFixed(1)}%`);

/** sha256:0123456789ab... : enough to tell versions apart in a table (--json has it whole). */
const shortContent = (contentId: string): string => (contentId.length > 19 ? `${contentId.slice(0, 19)}...` : contentId);

function sourceOf(load: LoadPart): string {
  return load.stream ? `${shown(load.source)} seq ${load.stream.firstSeq}-${load.stream.lastSeq}` : shown(load.source);
}

/** `elt explain` as text: the row, the refresh that wrote it, what came late, then one line per load. */
export function formatExplanation(explanation: Explanation): string {
  const { mart, key, row, loads } = explanation;
  const lines: string[] = [];
  lines.push(
    `${mart} ${Object.entries(key)
      .map(([column, value]) => `${column}=${shown(value)}`)
      .join(' ')}`,
  );
  lines.push(
    `row: ${Object.entries(row)
      .filter(([column]) => !(column in key))
      .map(([column, value]) => `${column} ${value === null ? 'null' : shown(value)}`)
      .join(', ')}`,
  );
  const write = explanation.lastWrite;
  lines.push(
    write
      ? `last written by the refresh of ${write.refreshedAt} (${write.how}, ${write.durationMs} ms); a refresh rewrites every row of a key it recomputes, so the values may be those of before`
      : 'last written by: no entry in elt.refresh_log matches the row (the log was cleared, or the mart is on Citus)',
  );
  const lateParts = Object.entries(explanation.late).map(([count, value]) => `${count} ${value} of ${explanation.totals[count] ?? 0}`);
  lines.push(
    loads.some((load) => load.late)
      ? `late: ${lateParts.join(', ')} came in a load of a later day`
      : 'late: nothing (every load holding the row mostly holds events of its day or an earlier one)',
  );
  lines.push('');
  const counts = Object.keys(explanation.totals);
  const sessions = explanation.sessions !== undefined;
  const header = ['load', 'loaded at', 'day', 'late', ...counts, ...(sessions ? ['in sessions', 'starts'] : []), 'content', 'source'];
  const rows = loads.map((load) => [
    String(load.loadId),
    load.loadedAt ?? '-',
    load.day ?? '-',
    load.late ? 'late' : '',
    ...counts.map((count) => `${load.counts[count] ?? 0} (${percent(load.shares[count] ?? null)})`),
    ...(sessions ? [String(load.sessions?.withEvents ?? 0), String(load.sessions?.started ?? 0)] : []),
    shortContent(load.contentId),
    sourceOf(load),
  ]);
  const align = header.map((_, index) => (index === 0 || (index >= 4 && index < 4 + counts.length + (sessions ? 2 : 0)) ? 'right' : 'left'));
  lines.push(formatTextTable(header, rows, { align }).trimEnd());
  for (const load of loads) {
    if (load.replaces) {
      lines.push(
        `load ${load.loadId} replaced load ${load.replaces.loadId} of the same file (loaded ${load.replaces.loadedAt ?? '-'}): the old version's events count no more`,
      );
    }
    if (load.duplicates.length > 0) {
      lines.push(`load ${load.loadId}: the same content is also at ${load.duplicates.map(shown).join(', ')} (a duplicate: counted once, here)`);
    }
  }
  if (sessions) {
    lines.push(
      `sessions: the row has ${explanation.sessions}; "in sessions" counts each session a load holds events of, so a session whose events came in ` +
        `several loads counts in each (not additive); "starts": the sessions whose first event the load holds (they add up to ${explanation.sessions})`,
    );
  }
  lines.push("late: a load's day is the day most of its events fall on; its events of an earlier day (here: the row's) arrived late");
  return `${lines.join('\n')}\n`;
}
