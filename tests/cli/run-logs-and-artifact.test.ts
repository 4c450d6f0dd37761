import { CLICKSTREAM_MODELS } from '../helpers/clickstream-models';
import { runInProcess } from '../helpers/run-in-process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { packageVersion } from '../../core/package-root';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// A team runs it every day: with --log-format json every stderr line is a JSON event
// naming its command's invocation and its step; each run leaves run_results.json beside
// the summary; a run with nothing new says so.

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample', '2019-02-15.tsv');
const MODELS: readonly string[] = CLICKSTREAM_MODELS;
const MARTS = MODELS.filter((name) => name.startsWith('marts.'));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ms = expect.any(Number) as number;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `elt <argv>` in this process; what it printed. */
async function elt(argv: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return runInProcess(argv, env);
}

const events = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const artifact = (dir: string) => JSON.parse(readFileSync(join(dir, 'run_results.json'), 'utf8')) as Record<string, unknown> & { steps: unknown[] };

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
let lake: string;
let out: string;
let first: Outcome;
let firstResults: ReturnType<typeof artifact>;
let second: Outcome;
let secondResults: ReturnType<typeof artifact>;

beforeAll(async () => {
  db = await createTestDatabase();
  env = { ...process.env, DATABASE_URL: db.url, NO_COLOR: '1' };
  const scratch = mkdtempSync(join(tmpdir(), 'elt-run-logs-'));
  lake = join(scratch, 'lake');
  out = join(scratch, 'out');
  mkdirSync(lake);
  mkdirSync(out);
  copyFileSync(SAMPLE, join(lake, '2019-02-15.tsv'));
  first = await elt(['--log-format', 'json', 'run', '--source', lake, '--output-dir', out], env);
  firstResults = artifact(out);
  second = await elt(['run', '--source', lake, '--output-dir', out], env);
  secondResults = artifact(out);
}, 120_000);
afterAll(() => db.drop());

test('with --log-format json every stderr line is a JSON event with the one invocation_id of the command and a step', () => {
  expect(first.code).toBe(ExitCode.ok);
  const lines = events(first.stderr);
  expect(lines.length).toBeGreaterThan(20);
  const id = lines[0]?.invocation_id;
  expect(id).toMatch(UUID);
  for (const line of lines) {
    expect(line).toMatchObject({ time: expect.stringMatching(TIME), level: expect.stringMatching(/^(info|warn|error)$/), invocation_id: id });
    expect(line.step).toEqual(expect.any(String));
    expect(line.message).toEqual(expect.any(String));
  }
  expect([...new Set(lines.map((line) => line.step))]).toEqual(
    expect.arrayContaining(['migrate', 'load', 'settings', 'build', 'refresh', 'test', 'run']),
  );
  // the events with numbers: the object loaded, each model built, each step's time
  expect(lines).toContainEqual(
    expect.objectContaining({ step: 'load', object: `file://${join(lake, '2019-02-15.tsv')}`, status: 'loaded', rows: 30, rejected: 0, ms }),
  );
  const built = lines.filter((line) => line.step === 'build' && line.status === 'ok');
  expect(built.map((line) => [line.model, line.index, line.total])).toEqual(MODELS.map((model, index) => [model, index + 1, MODELS.length]));
  for (const step of ['migrate', 'load', 'build', 'refresh', 'test'])
    expect(lines).toContainEqual(expect.objectContaining({ step, event: 'step_done', ms }));
  expect(first.stdout).toMatch(/^clickstream-elt summary/);
});

test('a clean run leaves run_results.json: invocation, version, times, exit code, and per step each object, model and test', () => {
  const invocation = events(first.stderr)[0]?.invocation_id;
  const migrations = readdirSync(join(__dirname, '..', '..', 'migrations'))
    .filter((name) => name.endsWith('.sql'))
    .sort();
  const tests = (firstResults.steps[4] as { results: unknown[] }).results;
  expect(tests.length).toBeGreaterThan(5);
  expect(firstResults).toEqual({
    invocation_id: invocation,
    elt_version: packageVersion(),
    command: 'run',
    started_at: expect.stringMatching(TIME),
    finished_at: expect.stringMatching(TIME),
    elapsed_ms: ms,
    exit_code: 0,
    steps: [
      {
        step: 'migrate',
        status: 'ok',
        ms,
        results: migrations.map((name) => ({ migration: expect.stringContaining(name.replace(/\.sql$/, '')), status: 'applied' })),
      },
      {
        step: 'load',
        status: 'ok',
        ms,
        results: [{ object: `file://${join(lake, '2019-02-15.tsv')}`, status: 'loaded', rows: 30, rejected: 0, ms }],
      },
      { step: 'build', status: 'ok', ms, results: MODELS.map((model) => ({ model, status: 'built', ms })) },
      {
        step: 'refresh',
        status: 'ok',
        ms,
        nothing_new: false,
        results: MARTS.map((model) => ({ model, status: 'refreshed', rows: expect.any(Number), ms })),
      },
      {
        step: 'test',
        status: 'ok',
        ms,
        results: tests.map(() => ({ test: expect.any(String), model: expect.any(String), status: 'pass', failures: 0, ms })),
      },
    ],
  });
  expect(Date.parse(firstResults.finished_at as string)).toBeGreaterThanOrEqual(Date.parse(firstResults.started_at as string));
});

test('a second run with nothing new says "nothing new" (not "3 of 3 marts refreshed"), and so does its artifact', () => {
  expect(second.code).toBe(ExitCode.ok);
  expect(second.stdout).toMatch(/\n {2}refresh +nothing new: 3 marts up to date +\d/);
  expect(second.stdout).not.toMatch(/marts refreshed/);
  expect(second.stderr).toMatch(/^elt: nothing new: no load and no model changed since the last refresh$/m);
  // human lines stay human
  expect(second.stderr.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
  expect(secondResults.invocation_id).not.toBe(firstResults.invocation_id);
  expect(secondResults.steps.map((step) => (step as { step: string }).step)).toEqual(['migrate', 'load', 'build', 'refresh', 'test']);
  expect(secondResults.steps[3]).toMatchObject({ step: 'refresh', nothing_new: true });
  expect((secondResults.steps[2] as { results: unknown[] }).results).toEqual(MODELS.map((model) => ({ model, status: 'unchanged' })));
});

test('the printed summary says what became of each output (drawn, then unchanged with nothing new), and summary.txt is what was printed', () => {
  expect(first.stdout).toMatch(/\n {2}outputs +chart drawn, docs site drawn +\d/);
  expect(second.stdout).toMatch(/\n {2}outputs +chart unchanged, docs site unchanged +\d/);
  expect(readFileSync(join(out, 'summary.txt'), 'utf8')).toBe(second.stdout);
});

test('the run says which rows its data tests read: every row after it built the models, what changed on a later run (elt test tests everything)', () => {
  const messages = events(first.stderr).map((event) => event.message);
  expect(messages).toContainEqual(expect.stringMatching(/^tested every row: \d+ data test\(s\) \(a model was built or recomputed in this run/));
  expect(second.stderr).toMatch(
    /^elt: tested what changed: \d+ data test\(s\) on the new loads' rows, [1-9]\d* on the keys they changed, \d+ on every row \(elt test tests everything\)$/m,
  );
});

test('a run with a failed object leaves an artifact saying exit 4, the load step in error and the object failed with its error', async () => {
  writeFileSync(
    join(lake, '2019-02-16.tsv'),
    'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES\nnot\ta\tvalid\trow\t{}\nnor\tis\tthis\tone\t{}\n',
  );
  const failed = await elt(['--log-format', 'json', 'run', '--source', lake, '--output-dir', out], env);
  expect(failed.code).toBe(ExitCode.loadFailed);
  const results = artifact(out);
  expect(results).toMatchObject({ invocation_id: events(failed.stderr)[0]?.invocation_id, exit_code: 4 });
  expect(results.steps[1]).toEqual({
    step: 'load',
    status: 'error',
    ms,
    results: [
      { object: `file://${join(lake, '2019-02-15.tsv')}`, status: 'skipped', rows: 0, rejected: 0, ms },
      {
        object: `file://${join(lake, '2019-02-16.tsv')}`,
        status: 'failed',
        rows: 0,
        rejected: 0,
        ms,
        error: expect.stringMatching(/2 of 2 rows rejected/),
      },
    ],
  });
  expect(events(failed.stderr)).toContainEqual(
    expect.objectContaining({ level: 'error', step: 'load', object: `file://${join(lake, '2019-02-16.tsv')}`, status: 'failed' }),
  );
});
