import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import type { BenchReport } from '../../scripts/bench/bench';
import { StripBlankLines } from '../../scripts/bench/steps';
import { STEP_IDS, STEP_LABELS, type StepResult } from '../../scripts/bench/report';
import { runTypeScript } from '../helpers/run-cli';
import { serverUrl } from '../helpers/test-database';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'bench', 'bench.ts');
const HAS_PSQL = spawnSync('psql', ['--version']).status === 0;
const HAS_NATS = spawnSync(process.env.ELT_TEST_NATS_SERVER ?? 'nats-server', ['--version']).status === 0;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return runTypeScript(SCRIPT, args, { env });
}

describe('npm run bench', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-test-'));
  let result: Result;
  let report: BenchReport;

  beforeAll(async () => {
    // the benchmark makes (and drops) databases of its own on the test server
    const history = ['--history-days', '2,3,4', '--history-events-per-day', '300', '--history-repeats', '1'];
    // a stale dist/ is not built here (a test run stays short): the sources run, and the machine description says so
    const args = ['--events', '2000', '--days', '2', '--out', out, '--stream-seconds', '2', '--refresh-every-seconds', '1', '--from-source'];
    result = await runBench([...args, ...history], {
      ...process.env,
      DATABASE_URL: serverUrl(),
    });
    const json = join(out, 'bench.json');
    if (result.code !== 0 || !existsSync(json)) throw new Error(`bench failed (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
    report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
  }, 240_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('every step ran and has positive figures', () => {
    expect(report.steps.map((step) => step.id)).toEqual([...STEP_IDS]);
    for (const step of report.steps) {
      if (step.id.endsWith('baseline') && !HAS_PSQL) {
        expect(step).toMatchObject({ status: 'skipped', note: expect.stringMatching(/psql/) });
        continue;
      }
      if (step.id.startsWith('stream') && !HAS_NATS) {
        expect(step).toMatchObject({ status: 'skipped', note: expect.stringMatching(/nats-server/) });
        continue;
      }
      if (step.id === 'stream-latency') {
        if (step.status !== 'ok') throw new Error(`${step.id}: ${step.status}: ${step.note ?? ''}`);
        expect(step.latency?.medianMs).toBeGreaterThan(0);
        expect(step.latency?.p99Ms).toBeGreaterThanOrEqual(step.latency?.medianMs ?? 0);
        expect(step.goal?.target).toMatch(/^median within 1\.00 s \+ refresh/);
        continue;
      }
      const figures: Array<keyof StepResult> = ['wallMs', 'rows', 'bytes', 'rowsPerSec', 'mbPerSec', 'peakMb'];
      if (step.status !== 'ok') throw new Error(`${step.id}: ${step.status}: ${step.note ?? ''}`);
      for (const figure of figures) {
        const value = step[figure];
        if (typeof value !== 'number' || !(value > 0)) throw new Error(`${step.id}: ${figure} is ${String(value)}`);
      }
      expect(step.ratio?.value).toBeGreaterThan(0);
    }
  });

  test('the steps measure what they say', () => {
    const step = (id: string): StepResult => report.steps.find((s) => s.id === id) as StepResult;
    // the loads cover the whole lake; the incremental run only the new day, next to a run over all days
    expect(step('load-c1').rows).toBe(report.lake.rows);
    expect(step('load-c2').bytes).toBe(report.lake.bytes);
    expect(step('incremental').rows).toBe(report.lake.nextDay.rows);
    expect(step('incremental').note).toMatch(/1 file loaded, 2 skipped/);
    expect(step('full-run').rows).toBe(report.lake.rows + report.lake.nextDay.rows);
    expect(step('load-c2').ratio?.vs).toBe(HAS_PSQL ? 'baseline' : undefined);
    expect(step('incremental').ratio?.vs).toBe('full-run');
    expect(step('load-c1').phasesMs?.load).toBeGreaterThan(0);
    // the generator still writes one blank line per file, which the baseline's copy leaves out
    if (HAS_PSQL) expect(report.lake.blankLinesStripped).toBe(report.lake.files);
    // the stream consumes the same events as the file load, next to the file loader's rows/s with its goal
    if (HAS_NATS) {
      expect(step('stream').rows).toBe(report.lake.rows + report.lake.nextDay.rows); // the lake folder holds the next day by then
      expect(step('stream').goal).toMatchObject({ figure: expect.stringMatching(/x the file loader's rows\/s$/), target: 'at least 0.80x' });
    }
  });

  test('the history steps add a day to a short and a long history of the same day size, next to psql \\copy of that day, a full run of the middle and the long one next to psql \\copy of each, and the long one size', () => {
    const step = (id: string): StepResult => report.steps.find((s) => s.id === id) as StepResult;
    expect(report.history).toMatchObject({ shortDays: 2, midDays: 3, longDays: 4, eventsPerDay: 300, repeats: 1 });
    expect(step('history-short').label).toBe('history: +1 day on 2 days');
    expect(step('history-long').label).toBe('history: +1 day on 4 days');
    expect(step('history-mid-full').label).toBe('history: elt run, fresh db, 3 days');
    for (const id of ['history-short', 'history-long']) {
      expect(step(id).note).toMatch(/^median of 1 \(\S+ m?s\), each 1 new file of/);
      expect(step(id).phasesMs?.load).toBeGreaterThan(0);
    }
    expect(step('history-long').ratio?.vs).toBe('history-short');
    expect(step('history-full').rows).toBe(report.history?.longRows);
    // the middle length's full run covers the first 3 of the long lake's 4 days
    expect(step('history-mid-full').rows).toBeGreaterThan(0);
    expect(step('history-mid-full').rows).toBeLessThan(report.history?.longRows ?? 0);
    if (HAS_PSQL) {
      expect(step('history-full').ratio?.vs).toBe('history-baseline');
      expect(step('history-mid-full').ratio?.vs).toBe('history-mid-baseline');
      expect(step('history-mid-baseline').rows).toBe(step('history-mid-full').rows);
      // one day's file: the next day's rows, one psql process
      expect(step('history-day-baseline').rows).toBe(step('history-long').rows);
      expect(step('history-day-baseline').note).toMatch(/^median of 1 /);
    }
    // each goal of issue 26 beside its figure, in the JSON and on stdout
    const goals = Object.fromEntries(report.goals.map((goal) => [goal.id, goal]));
    expect(goals['flat-history']).toMatchObject({
      goal: '+1 day on 4 days / +1 day on 2 days',
      target: '<= 1.15',
      value: step('history-long').ratio?.value,
      met: expect.any(Boolean),
    });
    expect(goals['day-vs-full-run']?.value).toBeCloseTo((step('history-long').wallMs ?? 0) / (step('history-full').wallMs ?? 1), 2);
    expect(goals['full-run-peak-memory']).toMatchObject({ goal: 'peak memory of the full run, 4 days', value: step('history-full').peakMb });
    expect(goals['loader-cpu']?.value).toBeGreaterThan(0);
    if (HAS_PSQL) {
      for (const id of ['day-vs-copy', 'full-run-vs-copy-3', 'full-run-vs-copy-4']) expect(goals[id]?.met).toEqual(expect.any(Boolean));
    }
    expect(result.stdout).toMatch(/^goal +figure +target +result +detail$/m);
    expect(result.stdout).toMatch(/^\+1 day on 4 days \/ \+1 day on 2 days +\d\.\d+ \(.*\) +<= 1\.15 +(met|MISSED) /m);
  });

  test('the long history database size is reported relation by relation, per million events, in the JSON and on stdout', () => {
    const storage = report.storage;
    expect(storage).toMatchObject({ days: 4, events: report.history?.longRows, lakeBytes: report.history?.longBytes });
    const relations = Object.fromEntries((storage?.relations ?? []).map((relation) => [relation.relation, relation.bytes]));
    for (const relation of ['raw.raw_events', 'raw.loads', 'intermediate.int_events', 'intermediate.int_sessions', 'marts.article_performance']) {
      expect(relations[relation]).toBeGreaterThan(0);
    }
    // the relations are the database's, which holds the catalog besides
    const sum = (storage?.relations ?? []).reduce((total, relation) => total + relation.bytes, 0);
    expect(sum).toBeLessThan(storage?.databaseBytes ?? 0);
    expect(result.stdout).toMatch(/^storage +size +per million events +share$/m);
    expect(result.stdout).toMatch(/^intermediate\.int_events +[\d.]+ MB +[\d.]+ MB +[\d.]+%$/m);
  });

  test('the JSON describes the machine and the server', () => {
    expect(report.machine).toMatchObject({ cores: expect.any(Number), memoryBytes: expect.any(Number), node: process.version });
    expect(report.machine.cpuModel.length).toBeGreaterThan(0);
    // the code elt ran: compiled dist/ where it is current (CI: npm ci builds it), else the sources, because of --from-source
    expect(report.machine.elt).toMatch(/^(compiled dist\/cli\/main\.js|TypeScript sources through tsx, cli\/main\.ts \(--from-source; .+\))$/);
    expect(report.machine.postgres).toMatch(/^\d+/);
    expect(report.database.kind).toBe('DATABASE_URL');
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
  });

  test('stdout is one table listing every step, then the goals', () => {
    const lines = result.stdout.trimEnd().split('\n\n')[0]?.split('\n') ?? [];
    expect(lines[0]).toMatch(/^step\s+wall\s+rows\/s\s+MB\/s\s+peak MB/);
    expect(lines[1]).toMatch(/^[- ]+$/);
    expect(lines).toHaveLength(2 + STEP_IDS.length);
    STEP_IDS.forEach((id, i) => expect(lines[2 + i]?.startsWith(STEP_LABELS[id])).toBe(true));
  });

  test('its databases and temporary files are gone', async () => {
    expect(report.database.databases.length).toBeGreaterThan(0);
    const admin = new Client({ connectionString: serverUrl() });
    await admin.connect();
    try {
      const { rows } = await admin.query('select datname from pg_database where datname = any($1)', [report.database.databases]);
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
    }
    expect(existsSync(dirname(report.lake.dir))).toBe(false);
  });
});

test('--help shows an example; a bad flag is a usage error', async () => {
  const help = await runBench(['--help'], process.env);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/Example: npm run bench -- --events/);
  const bad = await runBench(['--events', 'many'], process.env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--events must be a positive integer/);
});

test('StripBlankLines drops empty lines, across chunk boundaries too', async () => {
  const strip = new StripBlankLines();
  const chunks: Buffer[] = [];
  strip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => strip.on('end', resolve));
  for (const piece of ['head\n', '\n', 'a\tb\n\n', '\nc', '\n', '\n', 'd\n']) strip.write(Buffer.from(piece));
  strip.end();
  await done;
  expect(Buffer.concat(chunks).toString()).toBe('head\na\tb\nc\nd\n');
  expect(strip.blankLines).toBe(4);
});
