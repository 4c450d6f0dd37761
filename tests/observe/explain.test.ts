import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainCommand } from '../../cli/commands/explain';
import { EltError, ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { loadObject } from '../../loader/load-object';
import { listLocalObjects } from '../../loader/sources/local-source';
import { explainRow, type Explanation } from '../../observe/explain-row';
import { formatExplanation } from '../../observe/format-explanation';
import { buildModels } from '../../transform/build-models';
import { refreshMarts } from '../../transform/refresh-marts';
import { createLogins, projectRoles } from '../helpers/logins';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

// One lake, hand-computed. Article a1 and user u1 on 2019-02-15 are made of three loads:
//   A  2019-02-15.tsv, a second version (the first, with other counts, is replaced): 2 displays, 1 click of a1;
//      u1's session s1 starts here, and s2 at 23:50
//   B  2019-02-15-web.tsv: 1 display of a1, in s1
//   C  2019-02-16.tsv: mostly 2019-02-16 (3 events), and 2 late events of 2019-02-15 (a display and a click
//      of a1, in s1); s2 goes on past midnight here (00:05, 15 minutes after 23:50: one session)
// So a1 on 2019-02-15: card_views 2 + 1 + 1 = 4, article_views 1 + 0 + 1 = 2; C's part is late.
// u1 on 2019-02-15: events 4 + 1 + 2, 2 sessions (s1 has events in A, B and C; s2 in A and C).
const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const line = (ts: string, session: string, event: string, user: string, attributes = '{}') =>
  `${ts} +0000\t${session}\t${event}\t${user}\t${attributes}`;
const A1 = '{"id": "a1", "title": "One", "category": "news"}';
const FILES = {
  aOld: [
    line('2019-02-15 10:00:00', 's1', 'top_news_card_viewed', 'u1', A1),
    line('2019-02-15 10:01:00', 's1', 'top_news_card_viewed', 'u1', A1),
    line('2019-02-15 10:02:00', 's1', 'top_news_card_viewed', 'u1', A1),
  ],
  a: [
    line('2019-02-15 10:00:00', 's1', 'top_news_card_viewed', 'u1', A1),
    line('2019-02-15 10:01:00', 's1', 'my_news_card_viewed', 'u1', A1),
    line('2019-02-15 10:05:00', 's1', 'article_viewed', 'u1', A1),
    line('2019-02-15 23:50:00', 's2', 'app_opened', 'u1'),
  ],
  b: [line('2019-02-15 10:10:00', 's1', 'top_news_card_viewed', 'u1', A1), line('2019-02-15 12:00:00', 's3', 'app_opened', 'u2')],
  c: [
    line('2019-02-15 10:20:00', 's1', 'top_news_card_viewed', 'u1', A1),
    line('2019-02-15 10:25:00', 's1', 'article_viewed', 'u1', A1),
    line('2019-02-16 00:05:00', 's2', 'app_opened', 'u1'),
    line('2019-02-16 09:00:00', 's4', 'app_opened', 'u2'),
    line('2019-02-16 09:01:00', 's4', 'app_opened', 'u2'),
  ],
};
const text = (lines: string[]) => `${HEADER}\n${lines.join('\n')}\n`;
const contentId = (content: string) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

let db: TestDatabase;
let dir: string;
/** the ledger rows of the fixture, by file: the load that counts now */
let loads: Record<'aOld' | 'a' | 'b' | 'c', { id: number; at: string }>;
/** the refresh that folded in A's second version */
let lastRefresh: { at: string; how: string; ms: number };

async function load(name: string, content: string) {
  writeFileSync(join(dir, name), content);
  const [object] = listLocalObjects(join(dir, name));
  const result = await loadObject(db.pool, object!, { maxRejectRatio: 0.05 });
  expect(result.status).toBe('loaded');
  const { rows } = await db.pool.query<{ load_id: string; finished_at: Date }>(
    "select load_id, finished_at from raw.loads where source_uri = $1 and status = 'loaded'",
    [object!.uri],
  );
  return { id: Number(rows[0]!.load_id), at: rows[0]!.finished_at.toISOString() };
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  dir = mkdtempSync(join(tmpdir(), 'elt-explain-'));
  const aOld = await load('2019-02-15.tsv', text(FILES.aOld));
  const b = await load('2019-02-15-web.tsv', text(FILES.b));
  const c = await load('2019-02-16.tsv', text(FILES.c));
  // a copy of B under another name: recorded a duplicate of B's load, counted once
  writeFileSync(join(dir, 'copy-of-web.tsv'), text(FILES.b));
  expect((await loadObject(db.pool, listLocalObjects(join(dir, 'copy-of-web.tsv'))[0]!, { maxRejectRatio: 0.05 })).status).toBe('duplicate');
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  const a = await load('2019-02-15.tsv', text(FILES.a));
  await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
  loads = { aOld, a, b, c };
  const { rows } = await db.pool.query<{ refreshed_at: Date; how: string; duration_ms: string }>(
    "select refreshed_at, how, duration_ms from elt.refresh_log where model = 'marts.article_performance' order by refreshed_at desc limit 1",
  );
  lastRefresh = { at: rows[0]!.refreshed_at.toISOString(), how: rows[0]!.how, ms: Number(rows[0]!.duration_ms) };
  // a later load of another article and user: its refresh rewrites neither a1's nor u1's rows
  await load('2019-02-17.tsv', text([line('2019-02-17 08:00:00', 's5', 'top_news_card_viewed', 'u3', '{"id": "a2"}')]));
  await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
}, 120_000);
afterAll(() => db.drop());

const uri = (name: string) => listLocalObjects(join(dir, name))[0]!.uri;

/** The error `work` throws: its exit code and its message (one line). */
async function failure(work: Promise<unknown>): Promise<{ code: number; message: string }> {
  const err = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(err).toBeInstanceOf(EltError);
  const { exitCode, message } = err as EltError;
  expect(message).not.toMatch(/\n/);
  return { code: exitCode, message };
}

test('an article-day made of three loads, one late and one a replaced file, gives each load its exact share, as JSON', async () => {
  const explanation = await explainRow(db.pool, MODELS_DIR, 'marts.article_performance', ['article_id=a1', 'date=2019-02-15']);
  const file = (name: string, which: 'a' | 'b' | 'c', day: string, late: boolean, counts: [number, number]) => ({
    loadId: loads[which].id,
    source: uri(name),
    stream: null,
    loadedAt: loads[which].at,
    contentId: contentId(text(FILES[which])),
    day,
    late,
    counts: { card_views: counts[0], article_views: counts[1] },
    shares: { card_views: counts[0] / 4, article_views: counts[1] / 2 },
    replaces: which === 'a' ? { loadId: loads.aOld.id, loadedAt: loads.aOld.at, contentId: contentId(text(FILES.aOld)) } : null,
    duplicates: which === 'b' ? [uri('copy-of-web.tsv')] : [],
  });
  const expected: Explanation = {
    mart: 'marts.article_performance',
    key: { article_id: 'a1', date: '2019-02-15' },
    row: {
      article_id: 'a1',
      date: '2019-02-15',
      title: 'One',
      category: 'news',
      card_views: '4',
      article_views: '2',
      cumulative_article_views: '2',
      ctr: '0.50000000000000000000',
    },
    totals: { card_views: 4, article_views: 2 },
    late: { card_views: 1, article_views: 1 },
    // in the order they were loaded: B, C, then A's second version
    loads: [
      file('2019-02-15-web.tsv', 'b', '2019-02-15', false, [1, 0]),
      file('2019-02-16.tsv', 'c', '2019-02-16', true, [1, 1]),
      file('2019-02-15.tsv', 'a', '2019-02-15', false, [2, 1]),
    ],
    // the refresh that folded A's second version in, not the later one (which touched only a2)
    lastWrite: { refreshedAt: lastRefresh.at, how: 'incremental', durationMs: lastRefresh.ms },
  };
  expect(explanation).toEqual(expected);
  expect(lastRefresh.how).toBe('incremental');
  // the JSON the CLI prints is this object, exactly
  const printed = await runCommand(['marts.article_performance', 'article_id=a1', 'date=2019-02-15'], true);
  expect(JSON.parse(printed)).toEqual(JSON.parse(JSON.stringify(expected)));
});

test("a user-day's counts add up over its loads, its sessions do not, and the text output says so", async () => {
  const explanation = await explainRow(db.pool, MODELS_DIR, 'user_performance', ['date=2019-02-15', 'user_id=u1']);
  expect(explanation.row).toMatchObject({ user_id: 'u1', sessions: '2', card_views: '4', article_views: '2' });
  expect(explanation.sessions).toBe(2);
  expect(explanation.totals).toEqual({ events: 7, card_views: 4, article_views: 2 });
  expect(explanation.late).toEqual({ events: 2, card_views: 1, article_views: 1 });
  expect(explanation.loads.map((part) => [part.loadId, part.counts, part.shares, part.sessions, part.late])).toEqual([
    [
      loads.b.id,
      { events: 1, card_views: 1, article_views: 0 },
      { events: 1 / 7, card_views: 1 / 4, article_views: 0 },
      { withEvents: 1, started: 0 },
      false,
    ],
    // C holds s1's late events and s2's after midnight
    [
      loads.c.id,
      { events: 2, card_views: 1, article_views: 1 },
      { events: 2 / 7, card_views: 1 / 4, article_views: 1 / 2 },
      { withEvents: 2, started: 0 },
      true,
    ],
    [
      loads.a.id,
      { events: 4, card_views: 2, article_views: 1 },
      { events: 4 / 7, card_views: 2 / 4, article_views: 1 / 2 },
      { withEvents: 2, started: 2 },
      false,
    ],
  ]);
  const printed = formatExplanation(explanation);
  expect(printed).toMatch(/not additive/);
  expect(printed).toMatch(`load ${loads.a.id} replaced load ${loads.aOld.id} of the same file`);
  expect(printed).toMatch(`load ${loads.b.id}: the same content is also at ${uri('copy-of-web.tsv')} (a duplicate: counted once, here)`);
  const loadLine = printed.split('\n').find((row) => row.trimStart().startsWith(`${loads.c.id} `)) as string;
  expect(loadLine).toMatch(/2019-02-16\s+late\s+2 \(28\.6%\)\s+1 \(25\.0%\)\s+1 \(50\.0%\)\s+2\s+0\s+sha256:/);
  expect(loadLine.endsWith(uri('2019-02-16.tsv'))).toBe(true);
});

/** Runs the command in-process (its stdout captured) on the test database. */
async function runCommand(args: string[], json = false): Promise<string> {
  let out = '';
  const stdout = { write: (chunk: string) => ((out += chunk), true) } as unknown as NodeJS.WritableStream;
  const code = await explainCommand.run(
    { json },
    { env: { ...process.env, DATABASE_URL: db.url }, stdout, log: silentLogger, signal: new AbortController().signal },
    args,
  );
  expect(code).toBe(ExitCode.ok);
  return out;
}

test.each([
  ['an unknown mart', 'marts.nope', ['article_id=a1', 'date=2019-02-15'], /knows no mart "marts.nope"/],
  ['a relation that is no mart', 'raw.loads', ['load_id=1'], /knows no mart "raw.loads"/],
  ['SQL in the mart name', 'marts.article_performance; drop table raw.loads', ['article_id=a1', 'date=2019-02-15'], /knows no mart/],
  ['a column that is not a key', 'marts.article_performance', ['article_id=a1', 'date=2019-02-15', 'title=One'], /has no key column "title"/],
  ['SQL as a column name', 'marts.article_performance', ['article_id=a1', '1=1 or article_id=a1'], /has no key column "1"/],
  ['a key column given twice', 'marts.article_performance', ['article_id=a1', 'article_id=a2', 'date=2019-02-15'], /article_id given twice/],
  ['a key column missing', 'marts.article_performance', ['article_id=a1'], /missing key date/],
  ['an argument without =', 'marts.article_performance', ['article_id', 'date=2019-02-15'], /"article_id" is not column=value/],
  ['an empty column name', 'marts.article_performance', ['=a1', 'date=2019-02-15'], /"=a1" is not column=value/],
  ['a date that is no date', 'marts.article_performance', ['article_id=a1', 'date=2019-02-30'], /does not fit the key's columns: .*date/],
  ['a NUL in a value', 'marts.article_performance', ['article_id=a\u0000', 'date=2019-02-15'], /NUL/],
])('%s: exit 2, one line', async (_case, mart, args, message) => {
  const { code, message: said } = await failure(explainRow(db.pool, MODELS_DIR, mart, args));
  expect([code, said]).toEqual([ExitCode.usage, expect.stringMatching(message)]);
});

test.each([
  ['a key no row has', ['article_id=a1', 'date=2019-02-14']],
  ['a value quoting SQL, bound as a parameter', ["article_id=a1' or '1'='1", 'date=2019-02-15']],
  ['a value of a megabyte', [`article_id=${'x'.repeat(1 << 20)}`, 'date=2019-02-15']],
])('%s: exit 12, one line, nothing changed', async (_case, args) => {
  const { code, message } = await failure(explainRow(db.pool, MODELS_DIR, 'marts.article_performance', args));
  expect(code).toBe(ExitCode.noSuchRow);
  expect(message.length).toBeLessThan(300);
  const { rows } = await db.pool.query<{ n: string }>('select count(*) as n from marts.article_performance');
  expect(rows[0]!.n).toBe('2');
});

test('a reader (marts only) is refused in one line naming what it may not read; the CLI exits 12 for a missing row', async () => {
  const logins = createLogins();
  try {
    const reader = await logins.create('explain_reader', [projectRoles(db.url).reader]);
    const { code, message } = await failure(
      explainRow(logins.pool(db.url, reader), MODELS_DIR, 'article_performance', ['article_id=a1', 'date=2019-02-15']),
    );
    expect(code).toBe(ExitCode.usage);
    expect(message).toMatch(
      /reads intermediate\.int_article_days_by_load, intermediate\.int_events, raw\.loads, elt\.refresh_log, which explain_reader_\S+ may not read: run it as the database's owner/,
    );
  } finally {
    await logins.endPools();
    await logins.dropAll();
  }
  const missing = await runCli(['explain', 'marts.category_ctr_daily', 'category=news', 'date=2019-01-01'], {
    env: { ...process.env, DATABASE_URL: db.url },
  });
  expect([missing.code, missing.stdout, missing.stderr.trim().split('\n')]).toEqual([
    ExitCode.noSuchRow,
    '',
    ['elt: error: marts.category_ctr_daily has no row category="news" date="2019-01-01"'],
  ]);
});

test('a mart not built yet: exit 2, one line saying to build', async () => {
  const empty = await createTestDatabase({ migrated: true });
  try {
    const { code, message } = await failure(explainRow(empty.pool, MODELS_DIR, 'marts.user_performance', ['user_id=u1', 'date=2019-02-15']));
    expect([code, message]).toEqual([ExitCode.usage, expect.stringMatching(/marts\.user_performance, .* not in the database \(run elt build\)$/)]);
  } finally {
    await empty.drop();
  }
});

test('a title or key holding terminal escapes (C0, DEL, C1 CSI, line separators) reaches the terminal escaped, never raw', async () => {
  const hostile = 'x\u001b[2J\u009b31m\u007f\u2028y';
  const explanation: Explanation = {
    mart: 'marts.article_performance',
    key: { article_id: hostile, date: '2019-02-15' },
    row: { article_id: hostile, date: '2019-02-15', title: hostile, category: null },
    totals: { card_views: 0, article_views: 0 },
    late: { card_views: 0, article_views: 0 },
    loads: [],
    lastWrite: null,
  };
  const printed = formatExplanation(explanation);
  // eslint-disable-next-line no-control-regex -- what must not reach the terminal (newlines end lines)
  expect(printed).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
  expect(printed).toContain('title "x\\u001b[2J\\u009b31m\\u007f\\u2028y"');
  const { message } = await failure(explainRow(db.pool, MODELS_DIR, 'marts.article_performance', [`article_id=${hostile}`, 'date=2019-02-15']));
  // eslint-disable-next-line no-control-regex -- what must not reach the terminal
  expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  expect(message).toContain('article_id="x\\u001b[2J\\u009b31m\\u007f\\u2028y"');
});

test('stream batches are named by their stream and sequence range, and a batch mostly of a later day is late', async () => {
  const stream = await createTestDatabase({ migrated: true });
  try {
    /** One committed batch, as elt stream writes it: a load with its stream and sequences, line_no the sequence. */
    const batch = async (firstSeq: number, events: [string, string][]) => {
      const { rows } = await stream.pool.query<{ load_id: string }>(
        `insert into raw.loads (source_uri, content_id, status, row_count, reject_count, finished_at, stream_id, stream_first_seq, stream_last_seq)
         values ('nats://127.0.0.1:4222/EVENTS', $1, 'loaded', $2, 0, now(), 'nats://127.0.0.1:4222/EVENTS@2026-01-01', $3, $4) returning load_id`,
        [`batch-${firstSeq}`, events.length, firstSeq, firstSeq + events.length - 1],
      );
      await stream.pool.query(
        `insert into raw.raw_events (load_id, line_no, event)
         select $1, $2 + r.n - 1, jsonb_build_object('TIMESTAMP', r.ts, 'MD5(SESSION_ID)', 's', 'EVENT_NAME', r.name, 'MD5(USER_ID)', 'u', 'ATTRIBUTES', '{"id": "a"}'::jsonb)
           from unnest($3::text[], $4::text[]) with ordinality as r (ts, name, n)`,
        [rows[0]!.load_id, firstSeq, events.map((event) => event[0]), events.map((event) => event[1])],
      );
      return Number(rows[0]!.load_id);
    };
    const first = await batch(1, [
      ['2019-02-15 10:00:00 +0000', 'top_news_card_viewed'],
      ['2019-02-15 10:01:00 +0000', 'article_viewed'],
    ]);
    const second = await batch(3, [
      ['2019-02-15 23:59:00 +0000', 'top_news_card_viewed'],
      ['2019-02-16 08:00:00 +0000', 'top_news_card_viewed'],
      ['2019-02-16 08:01:00 +0000', 'top_news_card_viewed'],
    ]);
    await buildModels(stream.pool, { dir: MODELS_DIR, log: silentLogger });
    const explanation = await explainRow(stream.pool, MODELS_DIR, 'marts.article_performance', ['article_id=a', 'date=2019-02-15']);
    expect(explanation.loads.map((part) => [part.loadId, part.stream, part.day, part.late, part.counts, part.replaces])).toEqual([
      [
        first,
        { id: 'nats://127.0.0.1:4222/EVENTS@2026-01-01', firstSeq: 1, lastSeq: 2 },
        '2019-02-15',
        false,
        { card_views: 1, article_views: 1 },
        null,
      ],
      [
        second,
        { id: 'nats://127.0.0.1:4222/EVENTS@2026-01-01', firstSeq: 3, lastSeq: 5 },
        '2019-02-16',
        true,
        { card_views: 1, article_views: 0 },
        null,
      ],
    ]);
    expect(explanation.late).toEqual({ card_views: 1, article_views: 0 });
    expect(explanation.lastWrite?.how).toBe('built');
    expect(formatExplanation(explanation)).toContain('nats://127.0.0.1:4222/EVENTS seq 3-5');
  } finally {
    await stream.drop();
  }
});
