/**
 * Seeded random lake rows for the spec conformance test: several users and
 * session ids (some shared between users), runs of events with gaps on both
 * sides of the session gap, sessions around midnight (UTC, Berlin, St. John's),
 * timestamps written with different UTC offsets and formats, events sharing an
 * instant (ties for the title and category pick), and attributes that
 * are sometimes missing, empty or not strings. Rows come shuffled and split into
 * day files, with some late events in the next day's file.
 */
import { mulberry32 } from '../../generator/seeded-random';
import type { LakeRow } from '../helpers/raw-events';

interface Offset {
  minutes: number;
  /** how the offset is written, e.g. ' +0130', '+01:30', 'Z' */
  text: string;
}

const OFFSETS: Offset[] = [
  { minutes: 0, text: ' +0000' },
  { minutes: 0, text: ' +0000' },
  { minutes: 0, text: 'Z' },
  { minutes: 0, text: '+00' },
  { minutes: 90, text: ' +0130' },
  { minutes: 90, text: '+01:30' },
  { minutes: 60, text: ' +0100' },
  { minutes: -300, text: ' -0500' },
  { minutes: 330, text: '+05:30' },
];

const DISPLAYS = ['top_news_card_viewed', 'my_news_card_viewed'];
const OTHERS = ['app_opened', 'article_shared', 'push_received'];
const USERS = Array.from({ length: 20 }, (_, index) => `u${index + 1}`);
const ARTICLES = Array.from({ length: 16 }, (_, index) => `a${index + 1}`);
const CATEGORIES = ['news', 'sport', 'tech', 'culture'];
/** seen a few times a day at most, so some of their days have clicks but no displays */
const RARE_CATEGORIES = ['opinion', 'weather', 'travel'];
// single capitalised words: "greatest" is the same in the C and in natural-language collations
const TITLES = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo'];
const ODD_VALUES: unknown[] = ['', 42, null, { id: 'a1' }, ['news'], true];
const DAYS_UTC = [14, 15, 16, 17, 18].map((day) => Date.UTC(2019, 1, day));
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Writes an instant as a lake TIMESTAMP in the given offset, e.g. `2019-02-15 04:37:03.662 +0130`;
 * `fraction` is what follows the seconds: '' (whole seconds), 'ms' or extra digits after the millis.
 */
export function formatTimestamp(atMs: number, offset: Offset, separator: ' ' | 'T', fraction: string): string {
  const wall = new Date(atMs + offset.minutes * MINUTE).toISOString(); // 2019-02-15T04:37:03.662Z
  const date = wall.slice(0, 10);
  const time = fraction === '' ? wall.slice(11, 19) : `${wall.slice(11, 23)}${fraction === 'ms' ? '' : fraction}`;
  return `${date}${separator}${time}${offset.text}`;
}

export interface RandomLake {
  /** all rows, in no particular order */
  rows: LakeRow[];
  /** the same rows split into lake objects, one per UTC day, with some late events in the next day's file */
  files: LakeRow[][];
}

/**
 * About `runs` × 5 rows. `sessionGapMinutes` is the gap the boundary cases are drawn
 * around (gap − 1 ms, exactly the gap, gap + 1 ms).
 */
export function randomLake(seed: number, options: { runs?: number; sessionGapMinutes?: number } = {}): RandomLake {
  const random = mulberry32(seed);
  const runs = options.runs ?? 80;
  const gapMs = (options.sessionGapMinutes ?? 30) * MINUTE;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const chance = (p: number): boolean => random() < p;
  const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

  // each article has a usual title and category, which some events change
  const usual = new Map(ARTICLES.map((id) => [id, { title: pick(TITLES), category: pick(CATEGORIES) }]));

  const nextGap = (): number =>
    pick([
      () => between(0, 5 * MINUTE),
      () => between(0, 5 * MINUTE),
      () => between(5 * MINUTE, gapMs - 1),
      () => gapMs,
      () => gapMs - 1,
      () => gapMs + 1,
      () => between(gapMs + 1, 3 * gapMs),
      () => 0,
    ])();

  const startOf = (): number => {
    const day = pick(DAYS_UTC);
    // near midnight in UTC, Berlin (23:00 UTC) and St. John's (03:30 UTC), or anywhere in the day
    const hourStart = pick([23 * 60, 22 * 60 + 30, 3 * 60, 0, between(0, 23) * 60]);
    return day + hourStart * MINUTE + between(0, 60 * MINUTE - 1);
  };

  const attributes = (): Record<string, unknown> => {
    const result: Record<string, unknown> = {};
    const roll = random();
    const articleId = roll < 0.8 ? pick(ARTICLES) : undefined;
    if (articleId !== undefined) result.id = articleId;
    else if (chance(0.7)) result.id = pick(ODD_VALUES);
    const known = articleId === undefined ? undefined : usual.get(articleId);
    const title = chance(0.15) ? pick<unknown>([...ODD_VALUES, undefined]) : chance(0.3) || !known ? pick(TITLES) : known.title;
    const category = chance(0.15)
      ? pick<unknown>([...ODD_VALUES, undefined])
      : chance(0.05)
        ? pick(RARE_CATEGORIES)
        : chance(0.2) || !known
          ? pick(CATEGORIES)
          : known.category;
    if (title !== undefined) result.title = title;
    if (category !== undefined) result.category = category;
    if (chance(0.2)) result.position = between(0, 20);
    return result;
  };

  const events: { atMs: number; row: LakeRow }[] = [];
  for (let run = 0; run < runs; run += 1) {
    const user = chance(0.08) ? '' : pick(USERS);
    const session = `s${between(1, 14)}`;
    // some runs start minutes before UTC midnight, so that they run into the next day
    const nearMidnight = chance(0.12);
    let atMs = nearMidnight ? pick(DAYS_UTC) + DAY - between(1, 10 * MINUTE) : startOf();
    const length = nearMidnight ? between(3, 8) : between(1, 9);
    for (let index = 0; index < length; index += 1) {
      if (index > 0) atMs += nextGap();
      const roll = random();
      const event = roll < 0.4 ? pick(DISPLAYS) : roll < 0.7 ? 'article_viewed' : pick(OTHERS);
      // whole seconds when possible, else milliseconds, sometimes with up to 6 more digits (Postgres keeps microseconds)
      const fraction = atMs % 1000 === 0 && chance(0.5) ? '' : chance(0.1) ? String(between(0, 999_999)).slice(0, between(1, 6)) : 'ms';
      const ts = formatTimestamp(atMs, pick(OFFSETS), chance(0.8) ? ' ' : 'T', fraction);
      const row: LakeRow = { ts, session, event, user, attributes: attributes() };
      events.push({ atMs, row });
      if (chance(0.1)) {
        // a twin at the same instant, same article, maybe another title or category: the tie rule decides
        const twin: LakeRow = {
          ...row,
          event: pick([...DISPLAYS, 'article_viewed']),
          attributes: { ...row.attributes, title: pick(TITLES), category: pick(CATEGORIES) },
        };
        events.push({ atMs, row: twin });
      }
    }
  }

  // shuffle (Fisher-Yates), so neither file order nor line order follows time
  for (let index = events.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [events[index], events[other]] = [events[other] as (typeof events)[number], events[index] as (typeof events)[number]];
  }

  const files = new Map<number, LakeRow[]>();
  for (const { atMs, row } of events) {
    const dayStart = atMs - (atMs % DAY);
    const fileDay = chance(0.1) ? dayStart + DAY : dayStart; // a late event, in the next day's file
    const file = files.get(fileDay) ?? [];
    file.push(row);
    files.set(fileDay, file);
  }
  return {
    rows: events.map(({ row }) => row),
    files: [...files.entries()].sort(([a], [b]) => a - b).map(([, rows]) => rows),
  };
}
