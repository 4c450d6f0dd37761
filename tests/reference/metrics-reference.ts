/**
 * An independent implementation of docs/contract.md, in plain TypeScript (loops
 * and maps, no SQL), to check the loader and the SQL models against. The rules it
 * can take as data (event names, default settings, the session split, the
 * title and category tie rule) it reads from the contract's machine-readable
 * blocks at test time (./contract.ts), never from models/ or loader/; the rest
 * it implements from the contract's prose: the reject rules (rowVerdict,
 * timestampInstant, checked against the contract's examples) and the marts.
 *
 * Its input is the accepted events (rows the loader would not reject), as
 * LakeRow. Counts are numbers; ctr and avg_session_length_seconds are floating
 * point numbers or null, to be compared with the exact SQL numerics within a
 * small relative tolerance.
 *
 * @example
 *   const marts = referenceMarts(rows, { timeZone: 'Europe/Berlin', sessionGapMinutes: 30 });
 *   marts.user_performance[0]; // { user_id: 'u1', date: '2019-02-15', sessions: 2, ... }
 */
import type { LakeRow } from '../helpers/raw-events';
import { readContract } from './contract';

const contract = readContract();

export interface ReferenceSettings {
  /** IANA zone the days are counted in */
  timeZone: string;
  /** a gap longer than this starts a new session */
  sessionGapMinutes: number;
}

/** The contract's defaults (block contract:defaults). */
export const DEFAULT_SETTINGS: ReferenceSettings = {
  timeZone: contract.defaults.time_zone,
  sessionGapMinutes: contract.defaults.session_gap_minutes,
};

export interface ArticlePerformanceRow {
  article_id: string;
  date: string;
  title: string | null;
  category: string | null;
  card_views: number;
  article_views: number;
  cumulative_article_views: number;
  ctr: number | null;
}

export interface UserPerformanceRow {
  user_id: string;
  date: string;
  sessions: number;
  avg_session_length_seconds: number | null;
  card_views: number;
  article_views: number;
  ctr: number | null;
}

export interface CategoryCtrDailyRow {
  category: string;
  date: string;
  card_views: number;
  article_views: number;
  ctr: number | null;
}

export interface ReferenceMarts {
  article_performance: ArticlePerformanceRow[];
  user_performance: UserPerformanceRow[];
  category_ctr_daily: CategoryCtrDailyRow[];
}

// ---------------------------------------------------------------- vocabulary

const DISPLAY_EVENTS = new Set(contract.vocabulary.display);
const CLICK_EVENTS = new Set(contract.vocabulary.click);

/** One event as the spec talks about it. */
interface SpecEvent {
  /** the instant, in microseconds since 1970-01-01 UTC (Postgres keeps microseconds) */
  at: number;
  /** the calendar date of the instant in the reporting time zone */
  day: string;
  sessionId: string;
  /** null when MD5(USER_ID) is empty */
  userId: string | null;
  isDisplay: boolean;
  isClick: boolean;
  /** ATTRIBUTES.id / .title / .category when a non-empty string, else null */
  articleId: string | null;
  title: string | null;
  category: string | null;
}

/** An attribute counts only when it is a non-empty string. */
function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** ctr: clicks / displays; null when there are no displays. */
function ctr(clicks: number, displays: number): number | null {
  return displays === 0 ? null : clicks / displays;
}

// ---------------------------------------------------------------- time and rejects

/** The written form of contract section 2, rule 2 (the calendar, clock, offset and range checks follow). */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ?(Z|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** Round half to even, as C's rint() (which Postgres uses for fractional seconds). */
function rint(value: number): number {
  const rounded = Math.round(value);
  return Math.abs(value % 1) === 0.5 ? 2 * Math.round(value / 2) : rounded;
}

/** Milliseconds since 1970 of a proleptic Gregorian date and time, for any year 0..9999. */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

const FIRST_MICROS = BigInt(utcMs(1, 1, 1)) * 1000n;
const LAST_MICROS = BigInt(utcMs(10000, 1, 1)) * 1000n - 1n;

/**
 * The instant an event TIMESTAMP denotes, in microseconds since 1970-01-01 UTC,
 * or null when the contract rejects it: the written form, a real calendar date
 * and time of day, an offset of at most 15:59, the instant within 0001..9999 in
 * UTC. The fraction is rounded to microseconds half to even.
 */
export function timestampInstant(text: string): bigint | null {
  const match = TIMESTAMP.exec(text);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction, zone, sign, offsetHours, offsetMinutes] = match;
  const [y, mo, d, h, mi, se] = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const date = new Date(utcMs(y, mo, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  if (h > 23 || mi > 59 || se > 59) return null;
  const oh = Number(offsetHours ?? 0);
  const om = Number(offsetMinutes ?? 0);
  if (oh > 15 || om > 59) return null;
  const offsetMs = zone === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  const fractionMicros = fraction === undefined ? 0 : rint(Number(`0.${fraction}`) * 1_000_000);
  const micros = BigInt(utcMs(y, mo, d, h, mi, se) - offsetMs) * 1000n + BigInt(fractionMicros);
  return micros < FIRST_MICROS || micros > LAST_MICROS ? null : micros;
}

/** An instant as the contract's examples write it: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC). */
export function formatInstant(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const iso = new Date(Number(ms)).toISOString(); // 2019-02-15T03:07:03.662Z
  const subMillis = String(Number(((micros % 1000n) + 1000n) % 1000n)).padStart(3, '0');
  return `${iso.slice(0, 23)}${subMillis}Z`;
}

/** The instant of an accepted TIMESTAMP, in microseconds since the epoch (a number: fine for real dates). */
export function parseInstant(text: string): number {
  const instant = timestampInstant(text);
  if (instant === null) throw new Error(`not an accepted TIMESTAMP: ${text}`);
  return Number(instant);
}

/** A JSON \u0000 escape: one preceded by an even number of backslashes. */
const NUL_ESCAPE = /(?<!\\)(?:\\\\)*\\u0000/i;

function hasUnpairedSurrogate(value: unknown): boolean {
  if (typeof value === 'string') {
    for (let index = 0; index < value.length; index += 1) {
      const unit = value.charCodeAt(index);
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const next = value.charCodeAt(index + 1);
        if (next >= 0xdc00 && next <= 0xdfff) index += 1;
        else return true;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) return true;
    }
    return false;
  }
  if (Array.isArray(value)) return value.some(hasUnpairedSurrogate);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, inner]) => hasUnpairedSurrogate(key) || hasUnpairedSurrogate(inner));
  }
  return false;
}

/** The numbers of a JSON text, as written: its strings blanked out first, so "1e5" inside one is no number. */
function jsonNumbers(text: string): string[] {
  const outsideStrings = text.replaceAll(/"(?:[^"\\]|\\.)*"/g, '""');
  return outsideStrings.match(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g) ?? [];
}

/** How deep a JSON text nests arrays and objects (counted with its strings blanked out). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const char of text.replaceAll(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if (char === '[' || char === '{') deepest = Math.max(deepest, (depth += 1));
    else if (char === ']' || char === '}') depth -= 1;
  }
  return deepest;
}

/** Digits before and after the decimal point of a JSON number written out in full (leading zeros dropped, trailing ones kept). */
function writtenOutDigits(number: string): { before: number; after: number } {
  const [, integer = '', fraction = '', exponent = '0'] = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(number) ?? [];
  const digits = integer + fraction;
  const point = integer.length + Number(exponent);
  const leadingZeros = digits.length - digits.replace(/^0+/, '').length;
  const before = leadingZeros === digits.length ? 0 : Math.max(0, point - leadingZeros);
  return { before, after: Math.max(0, fraction.length - Number(exponent)) };
}

export type RowVerdict = { verdict: 'accepted' | 'skipped' } | { verdict: 'rejected'; rule: 'fields' | 'timestamp' | 'attributes' | 'storable' };

/**
 * What the contract (section 2) does with one data line of a lake object whose
 * header is `header` (the contract's column names, in the file's order), read as
 * text: blank lines are skipped, else the first rule that holds rejects it.
 */
export function rowVerdict(line: string, header: readonly string[] = contract.lakeHeader): RowVerdict {
  if (/^[ \t\r]*$/.test(line)) return { verdict: 'skipped' };
  if (line.includes('\u0000')) return { verdict: 'rejected', rule: 'storable' };
  const fields = line.split('\t');
  if (fields.length !== header.length) return { verdict: 'rejected', rule: 'fields' };
  const field = (name: string): string => fields[header.indexOf(name)] ?? '';
  if (timestampInstant(field('TIMESTAMP')) === null) return { verdict: 'rejected', rule: 'timestamp' };
  let attributes: unknown;
  try {
    attributes = JSON.parse(field('ATTRIBUTES'));
  } catch {
    return { verdict: 'rejected', rule: 'attributes' };
  }
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes) || nestingDepth(field('ATTRIBUTES')) > 1000) {
    return { verdict: 'rejected', rule: 'attributes' };
  }
  // every string as written, keys and values (a duplicated key's first value is gone once parsed, but Postgres reads it too)
  const strings = (field('ATTRIBUTES').match(/"(?:[^"\\]|\\.)*"/g) ?? []).map((text) => JSON.parse(text) as string);
  if (NUL_ESCAPE.test(field('ATTRIBUTES')) || strings.some(hasUnpairedSurrogate)) return { verdict: 'rejected', rule: 'storable' };
  const tooLong = jsonNumbers(field('ATTRIBUTES')).some((number) => {
    const { before, after } = writtenOutDigits(number);
    return before > 1000 || after > 1000 || Math.abs(Number(/[eE]([+-]?\d+)$/.exec(number)?.[1] ?? 0)) > 1000;
  });
  if (tooLong) return { verdict: 'rejected', rule: 'storable' };
  return { verdict: 'accepted' };
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date ('YYYY-MM-DD') of an instant in the given IANA time zone. */
export function dayInZone(atMicros: number, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(Math.floor(atMicros / 1000)));
  const part = (type: string): string => parts.find((candidate) => candidate.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

function toSpecEvent(row: LakeRow, settings: ReferenceSettings): SpecEvent {
  const at = parseInstant(row.ts);
  return {
    at,
    day: dayInZone(at, settings.timeZone),
    sessionId: row.session,
    userId: nonEmptyString(row.user),
    isDisplay: DISPLAY_EVENTS.has(row.event),
    isClick: CLICK_EVENTS.has(row.event),
    articleId: nonEmptyString(row.attributes.id),
    title: nonEmptyString(row.attributes.title),
    category: nonEmptyString(row.attributes.category),
  };
}

// ---------------------------------------------------------------- helpers

/** Plain code-unit order, the order every output here is sorted in. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Gets the entry for `key`, creating it with `create` when missing. */
function entry<V>(map: Map<string, V>, key: string, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** A value seen at an instant: the pick is the latest, and among equally late ones the greatest. */
interface Seen {
  value: string;
  at: number;
}

/** The tie rule of block contract:title-and-category: the greatest (or least) value in code-unit order. */
const tieWins =
  contract.titleAndCategory.ties === 'greatest'
    ? (value: string, current: string) => value > current
    : (value: string, current: string) => value < current;

function later(current: Seen | undefined, value: string | null, at: number): Seen | undefined {
  if (value === null) return current;
  if (!current || at > current.at || (at === current.at && tieWins(value, current.value))) return { value, at };
  return current;
}

// ---------------------------------------------------------------- marts

/** marts.article_performance: one row per (article id, day) with a display or click of it. */
function articlePerformance(events: SpecEvent[]): ArticlePerformanceRow[] {
  interface Day {
    articleId: string;
    day: string;
    displays: number;
    clicks: number;
    title?: Seen;
    category?: Seen;
  }
  const days = new Map<string, Day>();
  for (const event of events) {
    // every event of the article names it (title, category); only displays and clicks count
    if (event.articleId === null) continue;
    const articleId = event.articleId;
    const day = entry(days, `${articleId}\u0000${event.day}`, (): Day => ({ articleId, day: event.day, displays: 0, clicks: 0 }));
    if (event.isDisplay) day.displays += 1;
    if (event.isClick) day.clicks += 1;
    day.title = later(day.title, event.title, event.at);
    day.category = later(day.category, event.category, event.at);
  }
  const ordered = [...days.values()]
    .filter((day) => day.displays + day.clicks > 0)
    .sort((a, b) => compareText(a.articleId, b.articleId) || compareText(a.day, b.day));
  const rows: ArticlePerformanceRow[] = [];
  let runningArticle: string | undefined;
  let runningClicks = 0;
  for (const day of ordered) {
    if (day.articleId !== runningArticle) {
      runningArticle = day.articleId;
      runningClicks = 0;
    }
    runningClicks += day.clicks;
    rows.push({
      article_id: day.articleId,
      date: day.day,
      title: day.title?.value ?? null,
      category: day.category?.value ?? null,
      card_views: day.displays,
      article_views: day.clicks,
      cumulative_article_views: runningClicks,
      ctr: ctr(day.clicks, day.displays),
    });
  }
  return rows;
}

/** Block contract:sessions: a gap that exceeds (or reaches) the session gap starts a new session. */
const startsSession =
  contract.sessions.new_session_when_gap === 'exceeds' ? (gap: number, limit: number) => gap > limit : (gap: number, limit: number) => gap >= limit;

/** A session: first and last instant of a run of one user's events of one session id. */
interface Session {
  userId: string;
  startedAt: number;
  endedAt: number;
}

/**
 * The sessions of identified users: per (user, session id), the events in time
 * order, cut wherever the gap to the previous event exceeds the session gap.
 */
function sessionsOf(events: SpecEvent[], settings: ReferenceSettings): Session[] {
  const gapMicros = settings.sessionGapMinutes * 60 * 1_000_000;
  const instantsBySession = new Map<string, { userId: string; instants: number[] }>();
  for (const event of events) {
    if (event.userId === null) continue;
    const userId = event.userId;
    entry(instantsBySession, JSON.stringify([userId, event.sessionId]), () => ({ userId, instants: [] })).instants.push(event.at);
  }
  const sessions: Session[] = [];
  for (const { userId, instants } of instantsBySession.values()) {
    instants.sort((a, b) => a - b);
    let current: Session | undefined;
    for (const at of instants) {
      if (current && !startsSession(at - current.endedAt, gapMicros)) {
        current.endedAt = at;
      } else {
        current = { userId, startedAt: at, endedAt: at };
        sessions.push(current);
      }
    }
  }
  return sessions;
}

/** marts.user_performance: one row per (identified user, day) with an event of that user. */
function userPerformance(events: SpecEvent[], settings: ReferenceSettings): UserPerformanceRow[] {
  interface Day {
    userId: string;
    day: string;
    displays: number;
    clicks: number;
    sessions: number;
    totalLengthMicros: number;
  }
  const days = new Map<string, Day>();
  const dayOf = (userId: string, day: string): Day =>
    entry(days, JSON.stringify([userId, day]), () => ({ userId, day, displays: 0, clicks: 0, sessions: 0, totalLengthMicros: 0 }));
  for (const event of events) {
    if (event.userId === null) continue;
    const day = dayOf(event.userId, event.day);
    if (event.isDisplay) day.displays += 1;
    if (event.isClick) day.clicks += 1;
  }
  for (const session of sessionsOf(events, settings)) {
    // a session belongs to the day of its first event (which is an event day of the user)
    const day = dayOf(session.userId, dayInZone(session.startedAt, settings.timeZone));
    day.sessions += 1;
    day.totalLengthMicros += session.endedAt - session.startedAt;
  }
  return [...days.values()]
    .sort((a, b) => compareText(a.userId, b.userId) || compareText(a.day, b.day))
    .map((day) => ({
      user_id: day.userId,
      date: day.day,
      sessions: day.sessions,
      avg_session_length_seconds: day.sessions === 0 ? null : day.totalLengthMicros / day.sessions / 1_000_000,
      card_views: day.displays,
      article_views: day.clicks,
      ctr: ctr(day.clicks, day.displays),
    }));
}

/** marts.category_ctr_daily: displays and clicks carrying a category, per (category, day). */
function categoryCtrDaily(events: SpecEvent[]): CategoryCtrDailyRow[] {
  const days = new Map<string, CategoryCtrDailyRow>();
  for (const event of events) {
    if (event.category === null || !(event.isDisplay || event.isClick)) continue;
    const category = event.category;
    const row = entry(days, JSON.stringify([category, event.day]), () => ({ category, date: event.day, card_views: 0, article_views: 0, ctr: null }));
    if (event.isDisplay) row.card_views += 1;
    if (event.isClick) row.article_views += 1;
  }
  return [...days.values()]
    .sort((a, b) => compareText(a.category, b.category) || compareText(a.date, b.date))
    .map((row) => ({ ...row, ctr: ctr(row.article_views, row.card_views) }));
}

/** The three marts of docs/contract.md for the given accepted events. */
export function referenceMarts(rows: LakeRow[], settings: Partial<ReferenceSettings> = {}): ReferenceMarts {
  const resolved: ReferenceSettings = { ...DEFAULT_SETTINGS, ...settings };
  const events = rows.map((row) => toSpecEvent(row, resolved));
  return {
    article_performance: articlePerformance(events),
    user_performance: userPerformance(events, resolved),
    category_ctr_daily: categoryCtrDaily(events),
  };
}
