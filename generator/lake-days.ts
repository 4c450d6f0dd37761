/**
 * The demo lake day by day: sessions of users, their events as lines, late events
 * carried into the next day's file, shuffled in small windows, with the day's
 * malformed rows and blank line (see generate-lake.ts for what is in there and why).
 * One Lake writes consecutive days; day N's rows do not depend on how many follow.
 */
import { BROWSERS, EVERGREEN, MIN_MS, makeArticle, md5hex, members, q, type Article } from './articles';
import { MALFORMED, MALFORMED_KINDS, type RowParts } from './malformed-rows';
import { type Rand, int, mulberry32, pick } from './seeded-random';

/** What the rows depend on (the folder and the compression do not change them). */
export interface DayOptions {
  startDate: string;
  eventsPerDay: number;
  seed: number;
  malformed: boolean;
}

export const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
export const DAY_MS = 86_400_000;
const SHUFFLE_WINDOW = 256; // rows shuffled together, then written as one chunk
const LATE_RATE = 0.0005; // share of events that arrive in the next day's file
const MALFORMED_RATE = 0.001;

/** `2019-02-15 03:07:03.662 +0000`, the sample's format */
function timestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)} +0000`;
}

interface Session {
  id: string;
  user: string;
  firstLate: boolean;
}
interface SessionShape {
  until?: number;
  gap?: boolean;
  orphanClick?: boolean;
  evergreen?: boolean;
}

export class Lake {
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

  constructor(private readonly o: DayOptions) {
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
      ? [
          ...MALFORMED_KINDS,
          ...Array.from({ length: Math.max(0, Math.round(this.o.eventsPerDay * MALFORMED_RATE) - MALFORMED_KINDS.length) }, () =>
            pick(r, MALFORMED_KINDS),
          ),
        ]
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
      this.emit(
        t,
        s,
        'app_opened',
        `{${members([
          ['network', '"wifi"'],
          ['os', '"Android 8.0.0"'],
        ])}  }`,
      );
      t += int(r, 500, 3000);
    }
    const click = (a: Article, stream: string): void => {
      this.emit(t, s, 'article_viewed', `{    "browser": ${q(pick(r, BROWSERS))},${a.viewHead},    "stream": ${stream},${a.viewTail}  }`);
      t += int(r, 5_000, 180_000);
      this.emit(
        t,
        s,
        'article_closed',
        `{${members([
          ['browser', q(pick(r, BROWSERS))],
          ['stream', stream],
        ])}  }`,
      );
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
      this.emit(
        t,
        s,
        a.feed === 'top' ? 'top_news_card_viewed' : 'my_news_card_viewed',
        `{${a.displayHead},    "position": "${pos}",${a.displayTail}  }`,
      );
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
