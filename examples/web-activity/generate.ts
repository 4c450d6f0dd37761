/**
 * generate: writes the web-activity example's NDJSON sample, one file per UTC day
 * (`<YYYY-MM-DD>.ndjson`), each line one page action of a shop's visitors:
 *
 *   {"user_id":"u_3f9a1c2e","session_id":"s_7b0e44d1","timestamp":"2024-03-01T10:15:30Z",
 *    "url":"https://shop.example.com/products/shoes?ref=newsletter","action":"view"}
 *
 * Deterministic: a seeded PRNG, no clock, so the same options always write the same
 * bytes (the committed sample in data/ is the default run, and a test checks it).
 *
 * What is in there, and why (each is something the models must get right):
 * - sessions of views, clicks, add_to_cart and purchases walking home, listings, products,
 *   search, blog, cart and checkout pages; URLs with query strings, fragments, a port,
 *   upper-case hosts, http, trailing and doubled slashes: the URL levels are parsed in SQL.
 * - timestamps written in each visitor's offset (Z, +01:00, -0500, +05:30), some with
 *   milliseconds or a space instead of the T: the hour is read from the instant.
 * - out of order: each file is shuffled in small windows, sessions started before
 *   midnight go on in the next day's file, and a few events arrive late, in the next day's
 *   file. A day's file depends on the seed and its date only, not on `days`.
 * - a handful of malformed events of each kind in every file (missing user_id, missing or
 *   unparsable timestamp, missing or unparsable URL, missing or unknown action, one with
 *   two problems) that stg_quarantined_events must catch, an event without session_id
 *   (optional, so well-formed), and one line that is not a JSON object (the loader rejects it).
 *
 *   npx tsx examples/web-activity/generate.ts --out <dir> [--days 3] [--events-per-day 300] [--seed 42] [--start 2024-03-01]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../../core/errors';
import { type Rand, int, mulberry32, pick } from '../../generator/seeded-random';

export interface WebActivityOptions {
  outDir: string;
  /** default 3 */
  days?: number;
  /** well-formed events started per day, approximately; default 300 */
  eventsPerDay?: number;
  /** default 42 */
  seed?: number;
  /** first day, 'YYYY-MM-DD'; default '2024-03-01' */
  startDate?: string;
}

/** The reasons stg_quarantined_events gives, as it writes them. */
export const QUARANTINE_REASONS = {
  user: 'missing user_id',
  timestamp: 'missing or unparsable timestamp',
  url: 'missing or unparsable url',
  action: 'missing or unknown action',
} as const;

export interface WebActivityFile {
  path: string;
  /** the UTC day the file is named after */
  day: string;
  /** lines in the file (every line ends with \n; none is blank) */
  lines: number;
  /** well-formed events: what stg_web_events holds of this file */
  events: number;
  /** well-formed events of the day before that arrived late, in this file */
  lateEvents: number;
  /** malformed events by reason, as stg_quarantined_events writes it (several joined with '; ') */
  quarantined: Record<string, number>;
  /** lines that are not a JSON object: the loader rejects them into raw.rejected_rows */
  notObjects: number;
  bytes: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const SHUFFLE_WINDOW = 24;
const LATE_RATE = 0.02;
const MALFORMED_PER_KIND = 2;
const USERS = 90;
const BASE = 'https://shop.example.com';

// ---------------------------------------------------------------- randomness

/** a seed for one stream of numbers: the run's seed, what the stream is for, which day */
function streamSeed(seed: number, stream: number, dayNumber: number): number {
  let h = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35) ^ Math.imul(dayNumber, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}
const hex = (r: Rand, digits: number): string => Array.from({ length: digits }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');

// ---------------------------------------------------------------- visitors and the shop

interface Visitor {
  id: string;
  /** the offset their device writes timestamps in, in minutes */
  offsetMinutes: number;
  millis: boolean;
  /** a space instead of the T */
  space: boolean;
  /** +0100 instead of +01:00 (and +0000 instead of Z) */
  compact: boolean;
}

const OFFSETS = [0, 0, 0, 0, 0, 0, 60, 60, 120, -300, -300, 330, -480];

function visitors(seed: number): Visitor[] {
  const r = mulberry32(streamSeed(seed, 0, 0));
  return Array.from({ length: USERS }, () => ({
    id: `u_${hex(r, 8)}`,
    offsetMinutes: pick(r, OFFSETS),
    millis: r() < 0.3,
    space: r() < 0.1,
    compact: r() < 0.15,
  }));
}

const CATEGORIES = ['shoes', 'shirts', 'bags', 'hats', 'jackets'];
const BLOG_POSTS = ['spring-lookbook', 'how-to-choose-running-shoes', 'leather-care-guide'];
const SEARCHES = ['red+shoes', 'tote', 'rain+jacket', 'linen%20shirt'];
const REFERRERS = ['?ref=newsletter', '?ref=instagram', '?utm_source=partner&utm_medium=cpc', '?ref=x'];

type PageKind = 'home' | 'listing' | 'product' | 'search' | 'blog' | 'account' | 'cart' | 'payment' | 'confirmation';
interface Page {
  kind: PageKind;
  path: string;
  category: string;
}

const product = (r: Rand, category: string): Page => ({ kind: 'product', path: `/products/${category}/p-${int(r, 100, 999)}`, category });
const listing = (category: string): Page => ({ kind: 'listing', path: `/products/${category}`, category });

function landingPage(r: Rand): Page {
  const category = pick(r, CATEGORIES);
  const x = r();
  if (x < 0.3) return { kind: 'home', path: '/', category };
  if (x < 0.55) return listing(category);
  if (x < 0.75) return product(r, category);
  if (x < 0.87) return { kind: 'search', path: `/search?q=${pick(r, SEARCHES)}`, category };
  if (x < 0.95) return { kind: 'blog', path: `/blog/${pick(r, BLOG_POSTS)}`, category };
  return { kind: 'account', path: '/account/orders', category };
}

/** The URL as a browser might report it: mostly plain, sometimes with the quirks a parser must take. */
function urlOf(r: Rand, page: Page): string {
  const x = r();
  const origin = x < 0.04 ? 'http://shop.example.com' : x < 0.07 ? 'https://Shop.Example.com' : x < 0.09 ? 'https://shop.example.com:443' : BASE;
  let tail = page.path;
  const hasQuery = tail.includes('?');
  const y = r();
  if (!hasQuery && tail !== '/' && y < 0.02) tail = `${tail}/`;
  else if (!hasQuery && tail.startsWith('/products/') && y < 0.03) tail = tail.replace('/products/', '/products//');
  if (!hasQuery && r() < 0.08) tail = `${tail}${pick(r, REFERRERS)}`;
  if (page.kind === 'product' && r() < 0.04) tail = `${tail}#reviews`;
  return `${origin}${tail}`;
}

/** `2024-03-01T11:15:30+01:00` and its variants, for the instant `ms` in the visitor's offset */
function timestampText(ms: number, visitor: Visitor): string {
  const local = new Date(ms + visitor.offsetMinutes * 60_000).toISOString();
  const time = local.slice(11, visitor.millis ? 23 : 19);
  const sign = visitor.offsetMinutes < 0 ? '-' : '+';
  const minutes = Math.abs(visitor.offsetMinutes);
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  const offset = visitor.offsetMinutes === 0 && !visitor.compact ? 'Z' : `${sign}${hh}${visitor.compact ? '' : ':'}${mm}`;
  return `${local.slice(0, 10)}${visitor.space ? ' ' : 'T'}${time}${offset}`;
}

// ---------------------------------------------------------------- events

/** One line to write, with what the models should make of it. */
interface Entry {
  /** when it arrives: orders the file before the shuffle */
  arrivalMs: number;
  /** the UTC day (epoch days) whose file it goes to */
  fileDay: number;
  line: string;
  kind: 'event' | 'late' | 'quarantined' | 'notObject';
  reason?: string;
}

type Doc = Record<string, unknown>;
const doc = (visitor: Visitor, sessionId: string, ms: number, url: string, action: string): Doc => ({
  user_id: visitor.id,
  session_id: sessionId,
  timestamp: timestampText(ms, visitor),
  url,
  action,
});

/** A visitor's session from `startMs`: a walk through the shop, one event per action. */
function session(r: Rand, visitor: Visitor, startMs: number): { ms: number; doc: Doc }[] {
  const sessionId = `s_${hex(r, 8)}`;
  const target = int(r, 2, 12);
  const events: { ms: number; doc: Doc }[] = [];
  let ms = startMs;
  const emit = (action: string, page: Page): void => {
    events.push({ ms, doc: doc(visitor, sessionId, ms, urlOf(r, page), action) });
    ms += r() < 0.1 ? int(r, 120, 900) * 1000 : int(r, 2, 75) * 1000 + int(r, 0, 999);
  };
  let page = landingPage(r);
  emit('view', page);
  // a visitor on the way to checkout goes on until they buy or turn back
  while (events.length < target || page.kind === 'cart' || page.kind === 'payment') {
    const x = r();
    if (page.kind === 'product') {
      if (x < 0.3) {
        emit('add_to_cart', page);
        if (r() < 0.7) page = { kind: 'cart', path: '/cart', category: page.category };
        else page = listing(page.category);
      } else if (x < 0.55) {
        emit('click', page);
        page = product(r, page.category);
      } else if (x < 0.85) {
        page = listing(page.category);
      } else break;
    } else if (page.kind === 'cart') {
      if (x < 0.65) {
        emit('click', page);
        page = { kind: 'payment', path: '/checkout/payment', category: page.category };
      } else page = listing(pick(r, CATEGORIES));
    } else if (page.kind === 'payment') {
      if (x < 0.75) {
        emit('purchase', page);
        page = { kind: 'confirmation', path: '/checkout/confirmation', category: page.category };
        emit('view', page);
        break;
      }
      page = { kind: 'cart', path: '/cart', category: page.category };
    } else if (x < 0.6) {
      emit('click', page);
      page = product(r, page.kind === 'listing' ? page.category : pick(r, CATEGORIES));
    } else {
      page = r() < 0.8 ? listing(pick(r, CATEGORIES)) : { kind: 'home', path: '/', category: page.category };
    }
    emit('view', page);
  }
  return events;
}

const sessionStart = (r: Rand, dayStart: number): number =>
  r() < 0.12
    ? dayStart + Math.floor(r() * DAY_MS)
    : // most visits between 06:00 and midnight, busiest in the afternoon; late ones run into the next day
      dayStart + 6 * HOUR_MS + Math.floor(((r() + r()) / 2) * 18 * HOUR_MS);

const TIMESTAMP_BREAKS: ReadonlyArray<(d: Doc, day: string) => void> = [
  (d) => {
    delete d.timestamp;
  },
  (d) => {
    d.timestamp = String(d.timestamp).slice(0, 19).replace(' ', 'T');
  }, // no offset
  (d) => {
    d.timestamp = 'yesterday';
  },
  (d, day) => {
    d.timestamp = `${day.slice(0, 4)}-02-30T10:15:30Z`;
  }, // no such day
  (d) => {
    d.timestamp = 1709288130;
  }, // epoch seconds, not text
];
const URL_BREAKS: ReadonlyArray<(d: Doc) => void> = [
  (d) => {
    d.url = 'not a url';
  },
  (d) => {
    d.url = 'shop.example.com/cart';
  }, // no scheme
  (d) => {
    d.url = 'https://';
  }, // no host
  (d) => {
    d.url = 'https://shop example.com/products/shoes';
  }, // a space in the host
  (d) => {
    delete d.url;
  },
];
const USER_BREAKS: ReadonlyArray<(d: Doc) => void> = [
  (d) => {
    delete d.user_id;
  },
  (d) => {
    d.user_id = null;
  },
  (d) => {
    d.user_id = '';
  },
];
const ACTION_BREAKS: ReadonlyArray<(d: Doc) => void> = [
  (d) => {
    d.action = 'hover';
  },
  (d) => {
    delete d.action;
  },
  (d) => {
    d.action = 'VIEW';
  },
  (d) => {
    d.action = 'checkout';
  },
];

const isoDay = (dayNumber: number): string => new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);

/**
 * Every line that starts on one day: its sessions (whose events go to the file of their own
 * UTC day, or the next one when late), then the day's malformed lines, all to its own file.
 */
function originDay(seed: number, dayNumber: number, eventsPerDay: number, people: Visitor[]): Entry[] {
  const r = mulberry32(streamSeed(seed, 1, dayNumber));
  const dayStart = dayNumber * DAY_MS;
  const entries: Entry[] = [];
  let events = 0;
  while (events < eventsPerDay) {
    for (const { ms, doc: d } of session(r, pick(r, people), sessionStart(r, dayStart))) {
      events += 1;
      const ownDay = Math.floor(ms / DAY_MS);
      if (r() < LATE_RATE) {
        // arrives in the next day's file, some hours after that day began
        entries.push({
          arrivalMs: (ownDay + 1) * DAY_MS + Math.floor(r() * 8 * HOUR_MS),
          fileDay: ownDay + 1,
          line: JSON.stringify(d),
          kind: 'late',
        });
      } else {
        entries.push({ arrivalMs: ms, fileDay: ownDay, line: JSON.stringify(d), kind: 'event' });
      }
    }
  }
  const day = isoDay(dayNumber);
  const template = (): { ms: number; doc: Doc } => {
    const ms = dayStart + 8 * HOUR_MS + Math.floor(r() * 14 * HOUR_MS);
    const page = r() < 0.5 ? product(r, pick(r, CATEGORIES)) : listing(pick(r, CATEGORIES));
    return { ms, doc: doc(pick(r, people), `s_${hex(r, 8)}`, ms, urlOf(r, page), 'view') };
  };
  const malformed = (breaks: ReadonlyArray<(d: Doc) => void>, reason: string): void => {
    for (let i = 0; i < MALFORMED_PER_KIND; i += 1) {
      const { ms, doc: d } = template();
      (breaks[(dayNumber * MALFORMED_PER_KIND + i) % breaks.length] as (d: Doc) => void)(d);
      entries.push({ arrivalMs: ms, fileDay: dayNumber, line: JSON.stringify(d), kind: 'quarantined', reason });
    }
  };
  malformed(USER_BREAKS, QUARANTINE_REASONS.user);
  malformed(
    TIMESTAMP_BREAKS.map((b) => (d: Doc) => b(d, day)),
    QUARANTINE_REASONS.timestamp,
  );
  malformed(URL_BREAKS, QUARANTINE_REASONS.url);
  malformed(ACTION_BREAKS, QUARANTINE_REASONS.action);
  {
    // two problems at once: both reasons, in the model's order
    const { ms, doc: d } = template();
    delete d.user_id;
    d.action = 'hover';
    entries.push({
      arrivalMs: ms,
      fileDay: dayNumber,
      line: JSON.stringify(d),
      kind: 'quarantined',
      reason: `${QUARANTINE_REASONS.user}; ${QUARANTINE_REASONS.action}`,
    });
  }
  {
    // session_id is optional: still a well-formed event
    const { ms, doc: d } = template();
    delete d.session_id;
    entries.push({ arrivalMs: ms, fileDay: dayNumber, line: JSON.stringify(d), kind: 'event' });
  }
  {
    // not a JSON object: a line cut short, an array, a bare string
    const { ms, doc: d } = template();
    const variants = [JSON.stringify(d).slice(0, 70), JSON.stringify([d.action, d.url]), JSON.stringify(`${String(d.action)} ${String(d.url)}`)];
    entries.push({ arrivalMs: ms, fileDay: dayNumber, line: variants[((dayNumber % 3) + 3) % 3] as string, kind: 'notObject' });
  }
  return entries;
}

/** In time of arrival, then each window of SHUFFLE_WINDOW lines shuffled: locally out of order. */
function arrange(entries: Entry[], r: Rand): Entry[] {
  const ordered = entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.arrivalMs - b.entry.arrivalMs || a.index - b.index)
    .map(({ entry }) => entry);
  for (let start = 0; start < ordered.length; start += SHUFFLE_WINDOW) {
    const end = Math.min(start + SHUFFLE_WINDOW, ordered.length);
    for (let i = end - 1; i > start; i -= 1) {
      const j = start + Math.floor(r() * (i - start + 1));
      [ordered[i], ordered[j]] = [ordered[j] as Entry, ordered[i] as Entry];
    }
  }
  return ordered;
}

function dayNumberOf(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`startDate must be a date as YYYY-MM-DD, not "${date}"`);
  }
  return ms / DAY_MS;
}

/** Writes `<day>.ndjson` for each day into `outDir` (created if missing) and says what each holds. */
export function generateWebActivity(options: WebActivityOptions): WebActivityFile[] {
  const days = options.days ?? 3;
  const eventsPerDay = options.eventsPerDay ?? 300;
  const seed = options.seed ?? 42;
  const first = dayNumberOf(options.startDate ?? '2024-03-01');
  for (const [name, value, min] of [
    ['days', days, 1],
    ['eventsPerDay', eventsPerDay, 1],
    ['seed', seed, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer of at least ${min}, not ${value}`);
  }
  const people = visitors(seed);
  // a file holds what its own day started and what the day before sent on (late, or past midnight)
  const origins = new Map<number, Entry[]>();
  const originOf = (dayNumber: number): Entry[] => {
    let entries = origins.get(dayNumber);
    if (!entries) {
      entries = originDay(seed, dayNumber, eventsPerDay, people);
      origins.set(dayNumber, entries);
    }
    return entries;
  };
  fs.mkdirSync(options.outDir, { recursive: true });
  const files: WebActivityFile[] = [];
  for (let dayNumber = first; dayNumber < first + days; dayNumber += 1) {
    const entries = [...originOf(dayNumber - 1), ...originOf(dayNumber)].filter((entry) => entry.fileDay === dayNumber);
    const arranged = arrange(entries, mulberry32(streamSeed(seed, 2, dayNumber)));
    const text = arranged.map((entry) => `${entry.line}\n`).join('');
    const day = isoDay(dayNumber);
    const file = path.join(options.outDir, `${day}.ndjson`);
    fs.writeFileSync(file, text);
    const quarantined: Record<string, number> = {};
    for (const entry of arranged) {
      if (entry.kind === 'quarantined') quarantined[entry.reason as string] = (quarantined[entry.reason as string] ?? 0) + 1;
    }
    files.push({
      path: file,
      day,
      lines: arranged.length,
      events: arranged.filter((entry) => entry.kind === 'event' || entry.kind === 'late').length,
      lateEvents: arranged.filter((entry) => entry.kind === 'late').length,
      quarantined,
      notObjects: arranged.filter((entry) => entry.kind === 'notObject').length,
      bytes: Buffer.byteLength(text),
    });
  }
  return files;
}

// ---------------------------------------------------------------- command line

const USAGE = `usage: npx tsx examples/web-activity/generate.ts --out <dir> [options]

Writes <YYYY-MM-DD>.ndjson files of web events (deterministic for the same options).

  --out <dir>              where to write (created if missing)
  --days <n>               number of daily files (default 3)
  --events-per-day <n>     well-formed events started per day, about (default 300)
  --seed <n>               random seed (default 42)
  --start <YYYY-MM-DD>     first day (default 2024-03-01)

Example: npx tsx examples/web-activity/generate.ts --out examples/web-activity/data`;

function integerOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new RangeError(`--${name} must be a whole number, not "${value}"`);
  return Number(value);
}

export function main(argv: string[]): number {
  let options: WebActivityOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        days: { type: 'string' },
        'events-per-day': { type: 'string' },
        seed: { type: 'string' },
        start: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.out === undefined) throw new RangeError('--out <dir> is required');
    options = {
      outDir: values.out,
      days: integerOption('days', values.days),
      eventsPerDay: integerOption('events-per-day', values['events-per-day']),
      seed: integerOption('seed', values.seed),
      startDate: values.start,
    };
    dayNumberOf(options.startDate ?? '2024-03-01');
  } catch (err) {
    // parseArgs throws TypeErrors for unknown or malformed flags
    if (!(err instanceof RangeError) && !(err instanceof TypeError)) throw err;
    process.stderr.write(`generate: ${err.message} (see --help)\n`);
    return 2;
  }
  for (const file of generateWebActivity(options)) {
    const quarantined = Object.values(file.quarantined).reduce((sum, count) => sum + count, 0);
    process.stdout.write(
      `${file.path}\t${file.lines} lines\t${file.events} events (${file.lateEvents} late)\t${quarantined} malformed\t${file.notObjects} not an object\n`,
    );
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`generate: ${describeError(err)}\n`);
    process.exitCode = 1;
  }
}
