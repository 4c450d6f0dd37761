import { runInProcess } from '../helpers/run-in-process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { runTypeScript } from '../helpers/run-cli';
import { isRoot, NEEDS_ROOT, plant, sayRootSkips, UNTOUCHED, victimFile, victimUntouched, type Plant, type Victim } from '../helpers/planted-files';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// Every file an elt command writes, with a symlink to a victim planted in its place:
// written as a new file there, never through the link (the victim, a 0600 file of the
// invoking user, keeps its bytes). An output folder another account could have planted
// (another owner, writable by its group or others, a link of another owner) is refused
// in one line with exit code 2 before anything is written.

sayRootSkips('output-files-no-follow.test.ts');

const REPO = join(__dirname, '..', '..');
const SAMPLE = join(REPO, 'tests', 'fixtures', 'lake-sample');

/** What each command writes into its output folder. */
const RUN_FILES = [
  'summary.txt',
  'summary.json',
  'run_results.json',
  'ctr_per_category.svg',
  'ctr_per_category.png',
  'docs/index.html',
  'docs/ctr_per_category.png',
];
const CHART_FILES = ['ctr_per_category.svg', 'ctr_per_category.png'];
const DOCS_FILES = ['index.html', 'ctr_per_category.png'];
const GENERATE_FILES = ['2019-02-15.tsv', '2019-02-16.tsv'];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `elt <argv>` in this process, on the test database; what it printed. */
async function elt(argv: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return runInProcess(argv, env);
}

function privateDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A symlink to the victim in place of each file (and the folders on their way made). */
function plantLinks(dir: string, files: string[], victim: Victim): void {
  for (const file of files) {
    mkdirSync(join(dir, file, '..'), { recursive: true, mode: 0o755 });
    symlinkSync(victim.path, join(dir, file));
  }
}

/** Each file is now a regular file of ours, not the link. */
function kinds(dir: string, files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((file) => [file, lstatSync(join(dir, file)).isFile() ? 'file' : 'not a file']));
}
const allFiles = (files: string[]) => Object.fromEntries(files.map((file) => [file, 'file']));

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
let runVictim: Victim;
let runOut: string;
let run: Outcome;

beforeAll(async () => {
  db = await createTestDatabase();
  env = { ...process.env, DATABASE_URL: db.url, ELT_OUTPUT_DIR: privateDir('elt-unused-out-') };
  runVictim = victimFile();
  runOut = join(privateDir('elt-run-out-'), 'out');
  mkdirSync(runOut, { mode: 0o755 });
  plantLinks(runOut, RUN_FILES, runVictim);
  run = await elt(['run', '--source', SAMPLE, '--output-dir', runOut], env);
}, 120_000);
afterAll(() => db.drop());

test('elt run writes each output file (summary, chart, docs site) in place of a planted symlink, not through it', () => {
  expect([run.code, run.stderr]).toEqual([ExitCode.ok, expect.not.stringMatching(/warning|error/)]);
  expect(victimUntouched(runVictim)).toEqual(UNTOUCHED(runVictim));
  expect(kinds(runOut, RUN_FILES)).toEqual(allFiles(RUN_FILES));
  expect(JSON.parse(readFileSync(join(runOut, 'summary.json'), 'utf8'))).toMatchObject({ load: { summary: { loaded: 1 } } });
  expect(readFileSync(join(runOut, 'summary.txt'), 'utf8')).toBe(run.stdout);
});

test('elt chart --out and elt docs --out write their files in place of planted symlinks, not through them', async () => {
  const victim = victimFile();
  const chartOut = privateDir('elt-chart-out-');
  plantLinks(chartOut, CHART_FILES, victim);
  const chart = await elt(['chart', '--out', chartOut], env);
  expect([chart.code, chart.stderr]).toEqual([ExitCode.ok, expect.not.stringMatching(/warning|error/)]);
  expect(kinds(chartOut, CHART_FILES)).toEqual(allFiles(CHART_FILES));

  const docsOut = privateDir('elt-docs-out-');
  plantLinks(docsOut, DOCS_FILES, victim);
  const docs = await elt(['docs', '--out', docsOut, '--chart', join(chartOut, 'ctr_per_category.png')], env);
  expect([docs.code, docs.stderr]).toEqual([ExitCode.ok, expect.not.stringMatching(/warning|error/)]);
  expect(kinds(docsOut, DOCS_FILES)).toEqual(allFiles(DOCS_FILES));
  expect(readFileSync(join(docsOut, 'ctr_per_category.png'))).toEqual(readFileSync(join(chartOut, 'ctr_per_category.png')));
  expect(victimUntouched(victim)).toEqual(UNTOUCHED(victim));
}, 60_000);

test.each([false, true])('elt generate --out (gzip %s) writes each day file in place of a planted symlink, not through it', async (gzip) => {
  const victim = victimFile();
  const out = privateDir('elt-generate-out-');
  const files = GENERATE_FILES.map((file) => (gzip ? `${file}.gz` : file));
  plantLinks(out, files, victim);
  const result = await elt(['generate', '--out', out, '--days', '2', '--events-per-day', '20', ...(gzip ? ['--gzip'] : [])], env);
  expect([result.code, result.stderr]).toEqual([ExitCode.ok, '']);
  expect(kinds(out, files)).toEqual(allFiles(files));
  expect(readdirSync(out).sort()).toEqual(files); // no temporary file left behind
  expect(victimUntouched(victim)).toEqual(UNTOUCHED(victim));
});

/** How each command is pointed at an output folder. */
const COMMANDS: [string, (out: string) => string[]][] = [
  ['run', (out) => ['run', '--source', SAMPLE, '--output-dir', out]],
  ['chart', (out) => ['chart', '--out', out]],
  ['docs', (out) => ['docs', '--out', out]],
  ['generate', (out) => ['generate', '--out', out, '--days', '1', '--events-per-day', '5']],
];
const FOLDER_PLANTS: Plant[] = ['other-owner', 'link-of-other-owner', 'group-writable', 'world-writable', 'fifo'];

describe.each(COMMANDS)('elt %s', (name, argv) => {
  for (const how of FOLDER_PLANTS) {
    const needsRoot = NEEDS_ROOT.includes(how) && !isRoot;
    (needsRoot ? test.skip : test)(`refuses an output folder planted as ${how}, in one line with exit code 2, writing nothing`, async () => {
      const victim = victimFile();
      const parent = privateDir('elt-planted-out-');
      chmodSync(parent, 0o755);
      const out = join(parent, 'out');
      plant(out, how, 'dir', victim);
      // what the planter left in it: a link to the victim where the command writes
      const inside =
        how === 'fifo' ? undefined : join(out, name === 'generate' ? '2019-02-15.tsv' : name === 'docs' ? 'index.html' : 'ctr_per_category.svg');
      if (inside !== undefined && how !== 'link-of-other-owner') symlinkSync(victim.path, inside);
      const result = await elt(argv(out), env);
      const errors = result.stderr.split('\n').filter((line) => /error|warning/.test(line));
      expect([result.code, errors]).toEqual([ExitCode.usage, [expect.stringMatching(new RegExp(`^elt: error: .*refusing ${escape(out)}`))]]);
      expect(victimUntouched(victim)).toEqual(UNTOUCHED(victim));
      if (inside !== undefined && how !== 'link-of-other-owner') expect(lstatSync(inside).isSymbolicLink()).toBe(true);
    });
  }
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('npm start (cli/demo.ts) refuses a .elt anyone may write to before writing its demo lake into it', async () => {
  const victim = victimFile();
  const cwd = privateDir('elt-demo-planted-');
  chmodSync(cwd, 0o755);
  plant(join(cwd, '.elt'), 'world-writable', 'dir', victim);
  const result = await runTypeScript(join(REPO, 'cli', 'demo.ts'), [], { cwd, env: { ...process.env, DATABASE_URL: db.url } });
  expect(result.code).toBe(ExitCode.usage);
  expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^elt: error: .*refusing .*\.elt/)]);
  expect(existsSync(join(cwd, '.elt', 'demo-lake'))).toBe(false);
}, 60_000);
