import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_LAKE_OPTIONS, generateLake, type LakeFile, type LakeOptions } from '../../generator/generate-lake';
import { runCli } from '../helpers/run-cli';

const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const SMALL = { days: 3, eventsPerDay: 1500 } as const;

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'generate-lake-'));
const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
async function generate(options: Partial<LakeOptions> = {}): Promise<LakeFile[]> {
  return generateLake({ ...SMALL, ...options, outDir: tmp() });
}
/** data lines of a plain file (header and the final empty string after the last \n removed) */
function dataLines(file: string): string[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  return lines.slice(1, -1);
}

/** epoch ms of a timestamp in the sample's format, or null when it is not one (or not a real date/time) */
function parseTimestamp(ts: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) \+0000$/.exec(ts);
  if (!m) return null;
  const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return Number.isNaN(t) || new Date(t).toISOString() !== `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z` ? null : t;
}

/** Why the spec rejects a data line, or null for an event. */
function rejection(line: string): string | null {
  const f = line.split('\t');
  if (f.length !== 5) return f.length === 4 ? 'fields4' : f.length === 6 ? 'fields6' : `fields${f.length}`;
  const ts = f[0] as string;
  if (parseTimestamp(ts) === null) {
    if (ts === '') return 'tsEmpty';
    if (ts === 'now') return 'tsNow';
    if (/^\d{4}-\d{2}-\d{2}$/.test(ts)) return 'tsDateOnly';
    if (/^\d{4}-02-30 \d{2}:\d{2}:\d{2}\.\d{3} \+0000$/.test(ts)) return 'tsNoSuchDay';
    if (/^\d{4}-\d{2}-\d{2} 25:\d{2}:\d{2}\.\d{3} \+0000$/.test(ts)) return 'tsHour25';
    if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/.test(ts)) return 'tsNoOffset';
    return 'tsOther';
  }
  let attrs: unknown;
  try {
    attrs = JSON.parse(f[4] as string);
  } catch {
    return 'jsonInvalid';
  }
  if (Array.isArray(attrs)) return 'jsonArray';
  if (typeof attrs === 'string') return 'jsonString';
  if (typeof attrs !== 'object' || attrs === null) return 'jsonOther';
  return null;
}

interface Event {
  ts: number;
  session: string;
  name: string;
  user: string;
  attrs: Record<string, unknown>;
  raw: string;
}
function events(file: string): Event[] {
  return dataLines(file)
    .filter((l) => l !== '' && rejection(l) === null)
    .map((raw) => {
      const [ts, session, name, user, attrs] = raw.split('\t') as [string, string, string, string, string];
      return { ts: parseTimestamp(ts) as number, session, name, user, attrs: JSON.parse(attrs) as Record<string, unknown>, raw };
    });
}
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const isDisplay = (e: Event): boolean => e.name === 'top_news_card_viewed' || e.name === 'my_news_card_viewed';

describe('generator/generate-lake', () => {
  test('same options and seed write byte-identical files (sha256 of every file in two temp dirs)', async () => {
    const a = await generate({ seed: 7 });
    const b = await generate({ seed: 7 });
    expect(a.map((f) => path.basename(f.path))).toEqual(['2019-02-15.tsv', '2019-02-16.tsv', '2019-02-17.tsv']);
    expect(b.map((f) => path.basename(f.path))).toEqual(a.map((f) => path.basename(f.path)));
    expect(b.map((f) => sha256(f.path))).toEqual(a.map((f) => sha256(f.path)));
    expect(b.map(({ rows, malformedRows, bytes }) => ({ rows, malformedRows, bytes }))).toEqual(
      a.map(({ rows, malformedRows, bytes }) => ({ rows, malformedRows, bytes })),
    );
  });

  test('a different seed writes different files', async () => {
    const a = await generate({ seed: 7 });
    const b = await generate({ seed: 8 });
    a.forEach((f, i) => expect(sha256(f.path)).not.toEqual(sha256((b[i] as LakeFile).path)));
  });

  test('every file starts with the exact header, ends with a newline, and LakeFile reports its rows and bytes', async () => {
    const files = await generate({ startDate: '2020-02-28', days: 3 });
    expect(files.map((f) => path.basename(f.path))).toEqual(['2020-02-28.tsv', '2020-02-29.tsv', '2020-03-01.tsv']);
    for (const f of files) {
      const text = fs.readFileSync(f.path, 'utf8');
      expect(text.startsWith(HEADER + '\n')).toBe(true);
      expect(text.endsWith('\n')).toBe(true);
      expect(dataLines(f.path).filter((l) => l !== '')).toHaveLength(f.rows);
      expect(f.bytes).toBe(fs.statSync(f.path).size);
      expect(f.rows).toBeGreaterThan(1400);
      expect(f.rows).toBeLessThan(1700);
    }
  });

  test('malformed=false: every data line has 5 tab fields, a sample-format timestamp, md5 ids and an ATTRIBUTES JSON object', async () => {
    const files = await generate({ malformed: false });
    for (const f of files) {
      expect(f.malformedRows).toBe(0);
      const lines = dataLines(f.path);
      expect(lines.filter((l) => l === '')).toHaveLength(1); // the one blank line, skipped by the spec
      for (const line of lines.filter((l) => l !== '')) {
        const fields = line.split('\t');
        expect(fields).toHaveLength(5);
        expect(parseTimestamp(fields[0] as string)).not.toBeNull();
        expect(fields[1]).toMatch(/^[0-9a-f]{32}$/);
        expect(fields[2]).toMatch(/^(top_news_card_viewed|my_news_card_viewed|article_viewed|article_closed|app_opened)$/);
        expect(fields[3]).toMatch(/^[0-9a-f]{32}$/);
        const attrs: unknown = JSON.parse(fields[4] as string);
        expect(typeof attrs === 'object' && attrs !== null && !Array.isArray(attrs)).toBe(true);
        expect(fields[4]).toMatch(/^\{ {4}".*" {2}\}$/); // the sample's loose spacing
        expect(rejection(line)).toBeNull();
      }
    }
  });

  test('malformed=true: each file holds every rejected kind (4/6 fields; empty, date-only, now, 02-30, 25:00, no-offset timestamps; truncated, array, string JSON) and malformedRows counts them', async () => {
    const files = await generate({ malformed: true });
    const kinds = [
      'fields4',
      'fields6',
      'tsEmpty',
      'tsDateOnly',
      'tsNow',
      'tsNoSuchDay',
      'tsHour25',
      'tsNoOffset',
      'jsonInvalid',
      'jsonArray',
      'jsonString',
    ];
    for (const f of files) {
      const lines = dataLines(f.path);
      expect(lines.filter((l) => l === '')).toHaveLength(1);
      const rejected = lines
        .filter((l) => l !== '')
        .map(rejection)
        .filter((k): k is string => k !== null);
      expect(new Set(rejected)).toEqual(new Set(kinds));
      expect(rejected).toHaveLength(f.malformedRows);
      expect(f.malformedRows).toBeLessThan(f.rows * 0.02);
    }
  });

  test('malformed rows are ~0.1% of a large file, still at least one of each kind', async () => {
    const [f] = await generate({ days: 1, eventsPerDay: 30000 });
    expect(f?.malformedRows).toBe(30);
    expect(
      new Set(
        dataLines((f as LakeFile).path)
          .filter((l) => l !== '')
          .map(rejection),
      ).size,
    ).toBe(12); // 11 kinds + null
  });

  test('gzip=true writes .tsv.gz files that gunzip to the same bytes as the plain files with the same seed', async () => {
    const plain = await generate({ seed: 3 });
    const gz = await generate({ seed: 3, gzip: true });
    expect(gz.map((f) => path.basename(f.path))).toEqual(plain.map((f) => `${path.basename(f.path)}.gz`));
    gz.forEach((f, i) => {
      const p = plain[i] as LakeFile;
      expect(gunzipSync(fs.readFileSync(f.path)).equals(fs.readFileSync(p.path))).toBe(true);
      expect([f.rows, f.malformedRows]).toEqual([p.rows, p.malformedRows]);
      expect(f.bytes).toBe(fs.statSync(f.path).size);
      expect(f.bytes).toBeLessThan(p.bytes);
    });
  });

  test('rows within a file are not in time order', async () => {
    const files = await generate({ malformed: false });
    for (const f of files) {
      const ts = events(f.path).map((e) => e.ts);
      const descents = ts.filter((t, i) => i > 0 && t < (ts[i - 1] as number)).length;
      expect(descents).toBeGreaterThan(ts.length / 10);
    }
  });

  test('files hold the quirks the ELT must handle: previous-day events, sessions past midnight, a >30 min gap in one session id, clicks without display, articles on several days, JSON escapes and raw UTF-8', async () => {
    const files = await generate({ malformed: false });
    const perFile = files.map((f) => events(f.path));
    const fileDays = files.map((f) => path.basename(f.path, '.tsv'));
    const shownOn = new Map<string, Set<string>>();
    perFile.forEach((evs, i) => {
      const day = fileDays[i] as string;
      // a few events of the day before
      const late = evs.filter((e) => dayOf(e.ts) < day);
      expect(late.length).toBeGreaterThan(0);
      expect(late.length).toBeLessThan(evs.length / 20);
      expect(evs.every((e) => dayOf(e.ts) <= day)).toBe(true);
      const bySession = new Map<string, Event[]>();
      for (const e of evs) bySession.set(e.session, [...(bySession.get(e.session) ?? []), e]);
      let gaps = 0;
      let orphanClicks = 0;
      for (const list of bySession.values()) {
        list.sort((a, b) => a.ts - b.ts);
        if (list.some((e, k) => k > 0 && e.ts - (list[k - 1] as Event).ts > 30 * 60_000)) gaps++;
        list.forEach((e, k) => {
          if (e.name === 'article_viewed' && !list.slice(0, k).some((p) => isDisplay(p) && p.attrs.id === e.attrs.id)) orphanClicks++;
        });
      }
      expect(gaps).toBeGreaterThan(0);
      expect(orphanClicks).toBeGreaterThan(0);
      for (const e of evs.filter(isDisplay)) {
        const id = e.attrs.id as string;
        shownOn.set(id, (shownOn.get(id) ?? new Set()).add(dayOf(e.ts)));
      }
      // article_closed carries no article
      expect(evs.filter((e) => e.name === 'article_closed').every((e) => e.attrs.id === undefined && e.attrs.category === undefined)).toBe(true);
    });
    // a session that starts on one day and goes on in the next day's file
    const sessionsDay0 = new Set((perFile[0] as Event[]).filter((e) => dayOf(e.ts) === fileDays[0]).map((e) => e.session));
    expect((perFile[1] as Event[]).some((e) => dayOf(e.ts) === fileDays[1] && sessionsDay0.has(e.session))).toBe(true);
    expect([...shownOn.values()].filter((days) => days.size === 3).length).toBeGreaterThan(8);

    const raw = fs.readFileSync((files[0] as LakeFile).path, 'utf8');
    for (const s of ['\\"', '\\\\', '\\n', '\\t', '\\u00e9', '\\ud83d\\ude00', 'é', 'ß', '中文', '😀']) expect(raw).toContain(s);
    const titles = new Set((perFile[0] as Event[]).map((e) => e.attrs.title));
    expect(titles).toContain('Café, crème brûlée et 😀 : Paris à table');
    expect(titles).toContain('Eilmeldung:\nzweizeiliger Titel aus dem CMS');
    expect(titles).toContain('Windows-Tipp: C:\\Windows\\Temp sicher leeren');
    const categories = new Set((perFile[0] as Event[]).map((e) => e.attrs.category).filter((c) => c !== undefined));
    expect(categories.size).toBe(10);
  });

  test('bad options are rejected before any file is written', async () => {
    const outDir = path.join(tmp(), 'out');
    await expect(generateLake({ outDir, days: 0 })).rejects.toThrow(/days/);
    await expect(generateLake({ outDir, startDate: '2019-02-30' })).rejects.toThrow(/startDate/);
    await expect(generateLake({ outDir, eventsPerDay: 1.5 })).rejects.toThrow(/eventsPerDay/);
    expect(fs.existsSync(outDir)).toBe(false);
  });

  test('the defaults (elt generate, npm start, the compose seed) write the same bytes as before the generator moved out of scripts/', async () => {
    expect(DEFAULT_LAKE_OPTIONS).toEqual({ startDate: '2019-02-15', days: 5, eventsPerDay: 2000, seed: 42, gzip: false, malformed: true });
    const files = await generateLake({ outDir: tmp() });
    expect(files.map((f) => [path.basename(f.path), f.rows, f.malformedRows, f.bytes, sha256(f.path)])).toEqual([
      ['2019-02-15.tsv', 2051, 11, 1067396, '663728034b24cc5cb9a7789dea6abf07bdd8e2b76cfcf9f37589fccd396ff1e7'],
      ['2019-02-16.tsv', 2059, 11, 1072047, '1f21cff3fae1515a0ece2527885f82ac95a9734f7535207e06eda839d2d5109d'],
      ['2019-02-17.tsv', 2050, 11, 1088023, '7f05d1910f937c35845b06c42875749364afd9b1adb5aeb254f66895e7b83989'],
      ['2019-02-18.tsv', 2064, 11, 1081526, '7d4d18fe0512d8e36e15080d9ddb35db2eddd2c00ad8c8983abef6dab28f8fc6'],
      ['2019-02-19.tsv', 2020, 11, 1051486, '47519d4ce4b82ef8e3fc83742aeb81049eebbb51cb19668a52ba05ae1bceeeec'],
    ]);
  });

  describe('elt generate (its one CLI)', () => {
    test('--help prints the usage with an example and exits 0', async () => {
      const r = await runCli(['generate', '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: elt generate [options]');
      expect(r.stdout).toMatch(/^ {2}--out <dir> +where to write <YYYY-MM-DD>\.tsv files \(required\)/m);
      expect(r.stdout).toContain('--no-malformed');
      expect(r.stdout).toContain('Example:');
    });

    test('an unknown flag prints one line on stderr and exits 2', async () => {
      const r = await runCli(['generate', '--out', tmp(), '--bogus']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--bogus');
    });

    test('a non-integer --days exits 2', async () => {
      const r = await runCli(['generate', '--out', tmp(), '--days', 'three']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--days');
    });

    test('writes the files and prints one summary line per file on stdout, same bytes as the API (--gzip, --no-malformed)', async () => {
      const dir = tmp();
      const r = await runCli(['generate', '--out', dir, '--days', '2', '--events-per-day', '300', '--seed', '5', '--gzip', '--no-malformed']);
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/2019-02-15\.tsv\.gz\t\d+ rows\t0 malformed$/);
      const api = await generate({ days: 2, eventsPerDay: 300, seed: 5, gzip: true, malformed: false });
      expect(api.map((f) => sha256(f.path))).toEqual(['2019-02-15.tsv.gz', '2019-02-16.tsv.gz'].map((n) => sha256(path.join(dir, n))));
    });

    test('with no options but --out, writes the default lake (the same files as the API defaults)', async () => {
      const dir = tmp();
      const r = await runCli(['generate', '--out', dir]);
      expect(r.code).toBe(0);
      const api = await generateLake({ outDir: tmp() });
      expect(r.stdout.trim().split('\n')).toHaveLength(api.length);
      expect(api.map((f) => sha256(f.path))).toEqual(api.map((f) => sha256(path.join(dir, path.basename(f.path)))));
    });
  });
});
