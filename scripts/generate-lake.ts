/**
 * generate-lake: writes deterministic, realistic upday-style lake files, one per day
 * (`<YYYY-MM-DD>.tsv` or `.tsv.gz`), in the exact format of
 * the real sample in tests/fixtures/lake-sample/2019-02-15.tsv and the contract in docs/contract.md.
 * It feeds the loader's tests and benchmarks with any volume of data (streamed, never held
 * in memory) and the same bytes for the same options (seeded PRNG, md5 ids from strings).
 *
 * What is in there, and why (each quirk is something the ELT must get right):
 * - users with sessions of card displays (top_news / my_news), some followed a few seconds
 *   later by `article_viewed` of the same article and an `article_closed` whose attributes
 *   have no id/category; a few `app_opened`: the normal traffic.
 * - articles live ~3 days, plus "evergreen" articles shown every day: cumulative clicks grow.
 * - evergreen titles hold `\"`, `\\`, `\n`, `\t`, `\u00e9` / `\ud83d\ude00` escapes, raw é ß 中文
 *   and 😀: the JSON text must reach the database byte for byte.
 * - a few articles carry another title on their clicks: title choice per day is documented.
 * - the first session of each day has a gap over 30 minutes (one MD5(SESSION_ID), two
 *   sessions) and a click without display (ctr > 1 is possible); others do at random.
 * - the last session of each day runs past midnight: its later events go to the next day's
 *   file, while the session belongs to the day it started. Its first event, and a few random
 *   ones, arrive late, in the next day's file ("a day's file may hold events of the day
 *   before"); the first file gets such events from a session of the day before the range,
 *   and the events that would go to the file after the last day are left out. So day N's
 *   file does not depend on `days`: --days 3 writes the first 3 files of --days 10.
 * - rows are shuffled in small windows, like the sample: files are not in time order.
 * - malformed rows (~0.1%, at least one of each kind per file) that the spec rejects, and
 *   one blank line that it skips.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { type Rand, int, mulberry32, pick } from './seeded-random';

export interface LakeOptions {
  outDir: string;
  /** 'YYYY-MM-DD', default '2019-02-15' */
  startDate: string;
  /** default 3 */
  days: number;
  /** approximate, default 2000 */
  eventsPerDay: number;
  /** default 42 */
  seed: number;
  /** default false: write .tsv; true: .tsv.gz */
  gzip: boolean;
  /** default true: include a few malformed rows */
  malformed: boolean;
}

export interface LakeFile {
  path: string;
  /** data lines, malformed ones included; the header and the blank line are not counted */
  rows: number;
  malformedRows: number;
  /** size on disk (compressed when gzip) */
  bytes: number;
}

const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const DAY_MS = 86_400_000;
const MIN_MS = 60_000;
const SHUFFLE_WINDOW = 256; // rows shuffled together, then written as one chunk
const LATE_RATE = 0.0005; // share of events that arrive in the next day's file
const MALFORMED_RATE = 0.001;

// ---------------------------------------------------------------- randomness and ids

const md5 = (s: string): Buffer => createHash('md5').update(s).digest();
const md5hex = (s: string): string => createHash('md5').update(s).digest('hex');

/** `2019-02-15 03:07:03.662 +0000`, the sample's format */
function timestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)} +0000`;
}

// ---------------------------------------------------------------- JSON text, sample style

const q = (s: string): string => JSON.stringify(s);
/** JSON string with every non-ASCII character as a \uXXXX escape (emoji as a surrogate pair) */
const qAscii = (s: string): string =>
  q(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** `    "k": v,    "k2": v2` (values are JSON text; undefined values are left out) */
const members = (pairs: ReadonlyArray<readonly [string, string | undefined]>): string =>
  pairs
    .filter((p): p is readonly [string, string] => p[1] !== undefined)
    .map(([k, v]) => `    "${k}": ${v}`)
    .join(',');
const jsonArray = (items: readonly string[]): string =>
  items.length === 0 ? '[]' : `[${items.map((i) => `      ${q(i)}`).join(',')}    ]`;

// ---------------------------------------------------------------- content

const CATEGORIES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['politics', ['politics.home_affairs', 'politics.foreign_affairs']],
  ['sports', ['sports.football', 'sports.wintersports']],
  ['news', ['news.local', 'news.crime']],
  ['music', ['music.miscellaneous', 'music.charts']],
  ['digital_life', ['digital_life.games', 'digital_life.apps', 'digital_life.mobile_tablet']],
  ['fashion_beauty_lifestyle', ['fashion_beauty_lifestyle.health', 'fashion_beauty_lifestyle.food_drink']],
  ['people_shows', ['people_shows.tv', 'people_shows.vips']],
  ['money_business', ['money_business.finance', 'money_business.economy']],
  ['technology_science', ['technology_science.medicine', 'technology_science.space']],
  ['cars_motors', ['cars_motors.e_mobility', 'cars_motors.formula_1']],
];
const SOURCES: ReadonlyArray<readonly [string, string]> = [
  ['gamestar.de', 'GameStar'], ['merkur.de', 'Merkur.de'], ['vice.com', 'VICE'],
  ['mirror.co.uk', 'Mirror'], ['leparisien.fr', 'Le Parisien'], ['caminteresse.fr', "Ça m'intéresse"],
  ['quemedices.es', '¡Qué me dices!'], ['natemat.pl', 'naTemat'], ['n-tv.de', 'n-tv'],
  ['nytimes.com', 'The New York Times '], ['huffingtonpost.co.uk', 'HuffPost UK'], ['auto-motor-und-sport.de', 'auto motor und sport'],
];
// titles: subject + verb + object, in the sample's mix of languages (raw UTF-8 included)
const SUBJECTS = ['Trump', 'Theresa May', 'Bayern München', 'Le PSG', 'Real Madrid', 'Apple', 'Tesla', 'Der DAX',
  'Die Bundesregierung', 'Macron', 'Netflix', 'Lewandowski', 'Die Polizei in Zürich', 'Kraków'];
const VERBS = ['wins', 'loses', 'announces', 'rejects', 'verliert gegen', 'überrascht mit', 'kündigt an:', 'annonce',
  'bat', 'gana', 'zapowiada'];
const OBJECTS = ['the Brexit deal', 'den Notstand', 'un record historique', 'einen Straßenbahn-Streik',
  'la réforme des retraites', 'die Formel-1-Saison 2019', 'das neue iPhone', 'eine Oscar-Nominierung',
  'sondaż dla opozycji', 'la canción del verano', 'die Champions League', 'les gilets jaunes', 'a new Mars mission'];
const NOTE_TYPES = ['TRENDING_SOCIAL', 'SPECIFIC_TRENDING', 'SERENDIPITY', 'TRENDING_NEWS', 'REAL_LIFE',
  'GENERAL_NEWS', 'GOOD_TO_KNOW', 'SPECIFIC_NEWS', 'WTF', 'GENERAL_TRENDING'];
const BROWSERS = ['Chrome', 'Custom Chrome Tabs', 'Samsung Internet', 'WebView'];
/** Shown every day, so every file holds every escape the loader must keep unchanged. */
const EVERGREEN: ReadonlyArray<{ title: string; category: string; asciiOnly?: true }> = [
  { title: '"Gilets jaunes" : vers la fin des manifestations le samedi ?', category: 'news' },
  { title: 'Windows-Tipp: C:\\Windows\\Temp sicher leeren', category: 'digital_life' },
  { title: 'Eilmeldung:\nzweizeiliger Titel aus dem CMS', category: 'politics' },
  { title: 'Café, crème brûlée et 😀 : Paris à table', category: 'fashion_beauty_lifestyle', asciiOnly: true },
  { title: 'Weißes Haus: Trump wird Notstand ausrufen – Mauerbau geht weiter', category: 'politics' },
  { title: '中文新闻: 今日头条 und das Jahr des Schweins', category: 'people_shows' },
  { title: 'Das 😀 Emoji wird 20 🎉', category: 'technology_science' },
  { title: 'Tab\tim Titel: Bayern schlägt Schalke', category: 'sports' },
];

interface Article {
  category: string;
  feed: 'top' | 'my';
  /** display attributes before and after "position" */
  displayHead: string;
  displayTail: string;
  /** click attributes between "browser" and "stream", and after "stream" */
  viewHead: string;
  viewTail: string;
}

function makeArticle(seed: number, key: string, publishMs: number, evergreen?: (typeof EVERGREEN)[number]): Article {
  const digest = md5(`${seed}:${key}`);
  const r = mulberry32(digest.readUInt32LE(0));
  const feed = r() < 0.35 ? 'top' : 'my';
  const hex = digest.toString('hex');
  const id = feed === 'top'
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[digest[8]! & 3]}${hex.slice(17, 20)}-${hex.slice(20)}`
    : digest.toString('base64url');
  const cat = evergreen ? CATEGORIES.find(([c]) => c === evergreen.category) : pick(r, CATEGORIES);
  const [category, allSubs] = cat ?? CATEGORIES[0]!;
  const subs = feed === 'top' ? [] : allSubs.filter(() => r() < 0.6);
  let title = evergreen?.title;
  if (title === undefined) {
    title = `${pick(r, SUBJECTS)} ${pick(r, VERBS)} ${pick(r, OBJECTS)}${r() < 0.2 ? ' ?' : ''}`;
    if (r() < 0.05) title = `"${title}"`;
  }
  const titleJson = evergreen?.asciiOnly ? qAscii(title) : q(title);
  const [domain, sourceName] = pick(r, SOURCES);
  const slug = md5hex(key).slice(0, 10);
  const publishTime = r() < 0.9 ? q(new Date(publishMs - int(r, 0, 720) * MIN_MS).toISOString().slice(0, 19) + 'Z') : undefined;
  const noteType = feed === 'my' ? q(pick(r, NOTE_TYPES)) : undefined;
  const common = { id: q(id), domain: r() < 0.95 ? q(domain) : undefined, name: q(sourceName), url: q(`https://${domain}/amp/${slug}.html?utm_source=upday&x=1`) };
  const subsJson = feed === 'top' || subs.length > 0 || r() < 0.5 ? jsonArray(subs) : undefined;
  const stream = feed === 'top' ? (r() < 0.05 ? '"breaking"' : '"ntk"') : '"wtk"';
  // a few articles are clicked under another headline than the card showed
  const viewTitle = r() < 0.03 ? q(`${title} (aktualisiert)`) : titleJson;
  return {
    category,
    feed,
    displayHead: members([['category', q(category)], ['id', common.id], ['noteType', noteType], ['orientation', '"PORTRAIT"']]),
    displayTail: members([['publishTime', publishTime], ['sourceDomain', common.domain], ['sourceName', common.name],
      ['stream', stream], ['streamType', feed === 'my' ? '"my news"' : undefined], ['subcategories', subsJson],
      ['title', titleJson], ['url', common.url]]),
    viewHead: members([['category', q(category)], ['id', common.id], ['network', '"online"'], ['noteType', noteType],
      ['publishTime', publishTime], ['sourceDomain', common.domain], ['sourceName', common.name]]),
    viewTail: members([['subcategories', subsJson], ['title', viewTitle], ['url', common.url]]),
  };
}

// ---------------------------------------------------------------- malformed rows

interface RowParts { ts: string; date: string; rest: string /* session, event, user */; attrs: string }
const MALFORMED: Readonly<Record<string, (p: RowParts) => string>> = {
  fields4: (p) => `${p.ts}\t${p.rest}`,
  fields6: (p) => `${p.ts}\t${p.rest}\t${p.attrs}\tandroid`,
  tsEmpty: (p) => `\t${p.rest}\t${p.attrs}`,
  tsDateOnly: (p) => `${p.date}\t${p.rest}\t${p.attrs}`,
  tsNow: (p) => `now\t${p.rest}\t${p.attrs}`,
  tsNoSuchDay: (p) => `${p.date.slice(0, 4)}-02-30${p.ts.slice(10)}\t${p.rest}\t${p.attrs}`,
  tsHour25: (p) => `${p.date} 25${p.ts.slice(13)}\t${p.rest}\t${p.attrs}`,
  tsNoOffset: (p) => `${p.ts.slice(0, 23)}\t${p.rest}\t${p.attrs}`,
  jsonTruncated: (p) => `${p.ts}\t${p.rest}\t${p.attrs.slice(0, Math.min(30, p.attrs.length - 2))}`,
  jsonArray: (p) => `${p.ts}\t${p.rest}\t[1,2]`,
  jsonString: (p) => `${p.ts}\t${p.rest}\t"text"`,
};
const MALFORMED_KINDS = Object.keys(MALFORMED);

// ---------------------------------------------------------------- the generator

interface Session { id: string; user: string; firstLate: boolean }
interface SessionShape { until?: number; gap?: boolean; orphanClick?: boolean; evergreen?: boolean }

class Lake {
  private readonly r: Rand;
  private readonly startMs: number;
  private readonly perDay: number; // new articles per day
  private readonly users: number;
  private readonly articles = new Map<number, Article>();
  private readonly evergreen: Article[];
  private carry: string[] = []; // rows for the next day's file
  private sessionNo = 0;
  // state of the day being written
  private buf: string[] = [];
  private dayEnd = -Infinity; // before day 0 every event goes to carry
  private date = '';
  private own = 0;
  private plan = new Map<number, string>(); // own-event number -> malformed kind
  private blankAt = 0;
  rows = 0;
  malformedRows = 0;

  constructor(private readonly o: LakeOptions) {
    this.r = mulberry32(o.seed ^ 0x5eed1a4e);
    this.startMs = Date.parse(`${o.startDate}T00:00:00Z`);
    this.perDay = Math.min(5000, Math.max(20, Math.round(o.eventsPerDay / 50))); // bounded memory
    this.users = Math.max(10, Math.round(o.eventsPerDay / 25));
    this.evergreen = EVERGREEN.map((e, k) => makeArticle(o.seed, `evergreen:${k}`, this.startMs - 3 * DAY_MS, e));
    // a session of the day before the range runs into day 0: the first file gets late events too
    this.session(this.startMs - int(this.r, 1, 5) * MIN_MS, { until: this.startMs + MIN_MS });
  }

  /** The chunks of day d's file; rows / malformedRows are final once it is exhausted. */
  *day(d: number): Generator<string> {
    const r = this.r;
    const dayStart = this.startMs + d * DAY_MS;
    this.dayEnd = dayStart + DAY_MS;
    this.date = timestamp(dayStart).slice(0, 10);
    this.buf = this.carry;
    this.carry = [];
    this.rows = this.buf.length;
    this.malformedRows = 0;
    this.own = 0;
    const kinds = this.o.malformed
      ? [...MALFORMED_KINDS, ...Array.from({ length: Math.max(0, Math.round(this.o.eventsPerDay * MALFORMED_RATE) - MALFORMED_KINDS.length) }, () => pick(r, MALFORMED_KINDS))]
      : [];
    const target = Math.max(this.o.eventsPerDay, 4 * kinds.length);
    this.plan = new Map();
    for (const kind of kinds) {
      let at = int(r, 1, target);
      while (this.plan.has(at)) at = int(r, 1, target);
      this.plan.set(at, kind);
    }
    this.blankAt = int(r, 1, target);
    for (const k of this.articles.keys()) if (k < (d - 3) * this.perDay) this.articles.delete(k);

    yield HEADER + '\n';
    this.session(dayStart + int(r, 0, 300_000), { evergreen: true, gap: true, orphanClick: true }, d);
    while (this.own < target) {
      // more sessions at midday than at night: a monotonic warp of the day's fraction
      const x = this.own / target;
      const warped = x - (0.9 * Math.sin(2 * Math.PI * x)) / (2 * Math.PI);
      this.session(dayStart + Math.floor(warped * (DAY_MS - 10 * MIN_MS)) + int(r, 0, MIN_MS), {}, d);
      if (this.buf.length >= SHUFFLE_WINDOW) yield this.flush();
    }
    this.session(this.dayEnd - int(r, 1, 5) * MIN_MS, { until: this.dayEnd + int(r, 1, 10) * MIN_MS }, d);
    yield this.flush();
  }

  private flush(): string {
    const rows = this.buf;
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(this.r() * (i + 1));
      [rows[i], rows[j]] = [rows[j] as string, rows[i] as string];
    }
    this.buf = [];
    return rows.length === 0 ? '' : rows.join('\n') + '\n';
  }

  private article(d: number): Article {
    const r = this.r;
    if (r() < 0.03) return pick(r, this.evergreen);
    // published over the last 3 days, newer ones more often
    const k = (d + 1) * this.perDay - 1 - Math.floor(3 * this.perDay * r() * r());
    let a = this.articles.get(k);
    if (a === undefined) {
      a = makeArticle(this.o.seed, `article:${k}`, this.startMs + Math.floor(k / this.perDay) * DAY_MS);
      this.articles.set(k, a);
    }
    return a;
  }

  private session(t0: number, shape: SessionShape, d = -1): void {
    const r = this.r;
    const s: Session = {
      id: md5hex(`${this.o.seed}:session:${this.sessionNo++}`),
      user: md5hex(`${this.o.seed}:user:${Math.floor(this.users * r() ** 1.5)}`),
      firstLate: shape.until !== undefined, // the midnight session's first event arrives late
    };
    let t = t0;
    if (r() < 0.3) {
      this.emit(t, s, 'app_opened', `{${members([['network', '"wifi"'], ['os', '"Android 8.0.0"']])}  }`);
      t += int(r, 500, 3000);
    }
    const click = (a: Article, stream: string): void => {
      this.emit(t, s, 'article_viewed', `{    "browser": ${q(pick(r, BROWSERS))},${a.viewHead},    "stream": ${stream},${a.viewTail}  }`);
      t += int(r, 5_000, 180_000);
      this.emit(t, s, 'article_closed', `{${members([['browser', q(pick(r, BROWSERS))], ['stream', stream]])}  }`);
      t += int(r, 1_000, 5_000);
    };
    if (shape.orphanClick || r() < 0.03) click(this.article(d), '"push"'); // opened from a push: no display
    const steps = Math.max(shape.evergreen ? this.evergreen.length : 1, 1 + Math.floor(-Math.log(1 - r()) * 6));
    const gapAt = shape.gap || r() < 0.02 ? int(r, 1, steps) : -1;
    let position = int(r, 1, 60);
    for (let i = 0; i < steps || (shape.until !== undefined && t < shape.until); i++) {
      if (i === gapAt) t += int(r, 31, 90) * MIN_MS; // same MD5(SESSION_ID), two sessions
      const a = shape.evergreen && i < this.evergreen.length ? (this.evergreen[i] as Article) : this.article(d);
      position += int(r, 1, 3);
      const pos = a.feed === 'top' ? i % 15 : position;
      this.emit(t, s, a.feed === 'top' ? 'top_news_card_viewed' : 'my_news_card_viewed', `{${a.displayHead},    "position": "${pos}",${a.displayTail}  }`);
      t += int(r, 1_500, 15_000);
      if (r() < 0.12 || (shape.evergreen && i === 0)) click(a, a.feed === 'top' ? '"ntk"' : '"wtk"');
      else t += int(r, 800, 12_000);
    }
  }

  private emit(t: number, s: Session, name: string, attrs: string): void {
    const ts = timestamp(t);
    const rest = `${s.id}\t${name}\t${s.user}`;
    if (t >= this.dayEnd || s.firstLate || this.r() < LATE_RATE) {
      s.firstLate = false;
      this.carry.push(`${ts}\t${rest}\t${attrs}`);
      return;
    }
    this.own++;
    this.rows++;
    if (this.own === this.blankAt) this.buf.push('');
    const kind = this.plan.get(this.own);
    if (kind === undefined) {
      this.buf.push(`${ts}\t${rest}\t${attrs}`);
    } else {
      this.malformedRows++;
      this.buf.push((MALFORMED[kind] as (p: RowParts) => string)({ ts, date: this.date, rest, attrs }));
    }
  }
}

// ---------------------------------------------------------------- API and CLI

class OptionError extends Error {}

function resolveOptions(options: Partial<LakeOptions> & { outDir: string }): LakeOptions {
  const o: LakeOptions = { startDate: '2019-02-15', days: 3, eventsPerDay: 2000, seed: 42, gzip: false, malformed: true, ...options };
  if (!o.outDir) throw new OptionError('outDir is required');
  const start = Date.parse(`${o.startDate}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.startDate) || Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== o.startDate) {
    throw new OptionError(`startDate must be a real date YYYY-MM-DD, got '${o.startDate}'`);
  }
  if (!Number.isInteger(o.days) || o.days < 1) throw new OptionError(`days must be a positive integer, got ${o.days}`);
  if (!Number.isInteger(o.eventsPerDay) || o.eventsPerDay < 1) throw new OptionError(`eventsPerDay must be a positive integer, got ${o.eventsPerDay}`);
  if (!Number.isInteger(o.seed)) throw new OptionError(`seed must be an integer, got ${o.seed}`);
  return o;
}

export async function generateLake(options: Partial<LakeOptions> & { outDir: string }): Promise<LakeFile[]> {
  const o = resolveOptions(options);
  await fs.promises.mkdir(o.outDir, { recursive: true });
  const lake = new Lake(o);
  const files: LakeFile[] = [];
  for (let d = 0; d < o.days; d++) {
    const date = new Date(Date.parse(`${o.startDate}T00:00:00Z`) + d * DAY_MS).toISOString().slice(0, 10);
    const file = path.join(o.outDir, `${date}.tsv${o.gzip ? '.gz' : ''}`);
    const source = Readable.from(lake.day(d));
    const stages: [Readable, ...Transform[], fs.WriteStream] = o.gzip
      ? [source, createGzip(), fs.createWriteStream(file)]
      : [source, fs.createWriteStream(file)];
    await pipeline(stages);
    const { size } = await fs.promises.stat(file);
    files.push({ path: file, rows: lake.rows, malformedRows: lake.malformedRows, bytes: size });
  }
  return files;
}

const USAGE = `Usage: npx tsx scripts/generate-lake.ts --out <dir> [--days 3] [--start 2019-02-15] [--events-per-day 2000] [--seed 42] [--gzip] [--no-malformed]

Writes one deterministic, realistic lake file per day (<YYYY-MM-DD>.tsv, or .tsv.gz with --gzip)
in the format of shared/data/upday-lake-sample: same options, same bytes.
  --out <dir>             output directory (created if missing)
  --days <n>              number of consecutive days (default 3)
  --start <YYYY-MM-DD>    first day (default 2019-02-15)
  --events-per-day <n>    approximate events per file (default 2000)
  --seed <n>              PRNG seed (default 42)
  --gzip                  gzip the files
  --no-malformed          leave out the rows the spec rejects (default: ~0.1%, every kind)

Example: npx tsx scripts/generate-lake.ts --out /tmp/lake --days 10 --events-per-day 100000 --gzip`;

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new OptionError(`--${name} must be an integer, got '${value}'`);
  return Number(value);
}

async function main(argv: string[]): Promise<number> {
  let options: LakeOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' }, days: { type: 'string' }, start: { type: 'string' },
        'events-per-day': { type: 'string' }, seed: { type: 'string' }, gzip: { type: 'boolean' },
        'no-malformed': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (values.out === undefined) throw new OptionError('--out <dir> is required');
    options = resolveOptions({
      outDir: values.out,
      days: integer('days', values.days, 3),
      startDate: values.start ?? '2019-02-15',
      eventsPerDay: integer('events-per-day', values['events-per-day'], 2000),
      seed: integer('seed', values.seed, 42),
      gzip: values.gzip ?? false,
      malformed: !(values['no-malformed'] ?? false),
    });
  } catch (err) {
    if (!(err instanceof OptionError) && !(err instanceof TypeError)) throw err; // parseArgs throws TypeErrors
    process.stderr.write(`generate-lake: ${err.message} (see --help)\n`);
    return 2;
  }
  const started = process.hrtime.bigint();
  process.stderr.write(`generate-lake: ${options.days} day(s) from ${options.startDate}, ~${options.eventsPerDay} events/day, seed ${options.seed} -> ${options.outDir}\n`);
  const files = await generateLake(options);
  for (const f of files) process.stdout.write(`${f.path}\t${f.rows} rows\t${f.malformedRows} malformed\t${f.bytes} bytes\n`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(`generate-lake: ${files.reduce((n, f) => n + f.rows, 0)} rows in ${seconds.toFixed(1)}s\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`generate-lake: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
