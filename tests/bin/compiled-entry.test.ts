import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../helpers/run-cli';
import { createTestDatabase } from '../helpers/test-database';

// bin/elt.js runs the compiled dist/ when it is current, the TypeScript through tsx when a
// source changed since the build (edits stay live in a checkout), and never a stale dist/
// in silence. The first part drives the real bin/elt.js in a small checkout of its own
// (its own cli/main.ts and dist/cli/main.js, which say which one ran); the second runs the
// real build in the layout the Docker image holds, with tsx made unavailable.

const REPO = join(__dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'elt compiled entry '));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A preload that makes tsx impossible to load, and says at exit if any TypeScript file was loaded. */
const NO_TSX = join(scratch, 'no-tsx.js');
writeFileSync(
  NO_TSX,
  `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'tsx' || request.startsWith('tsx/')) throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
process.on('exit', () => {
  const loaded = Object.keys(require.cache).filter((file) => file.endsWith('.ts'));
  if (loaded.length > 0) process.stderr.write('loaded TypeScript: ' + loaded.join(' ') + '\\n');
});
`,
);

const HOUR_MS = 3_600_000;
let checkouts = 0;

/** Sets the time of every file and folder under `dir` (itself included). */
function ageAll(dir: string, timeMs: number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) ageAll(path, timeMs);
    else utimesSync(path, timeMs / 1000, timeMs / 1000);
  }
  utimesSync(dir, timeMs / 1000, timeMs / 1000);
}

/**
 * A checkout of its own, built an hour ago: the real bin/, a cli/ and chart/ of sources
 * (tsconfig.build.json includes both) whose entry prints `source`, a dist/ whose entry
 * prints `compiled`, stamped as built at `builtAtMs`; every file older than the build.
 */
function checkout(builtAtMs = Date.now() - HOUR_MS): string {
  checkouts += 1;
  const root = join(scratch, `checkout ${checkouts}`);
  cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  writeFileSync(join(root, 'tsconfig.json'), '{ "compilerOptions": { "module": "nodenext" } }\n');
  writeFileSync(join(root, 'tsconfig.build.json'), '{ "extends": "./tsconfig.json", "include": ["cli", "chart"] }\n');
  mkdirSync(join(root, 'cli'));
  writeFileSync(join(root, 'cli', 'main.ts'), "export function runProgram(): void {\n  process.stdout.write('source\\n');\n}\n");
  mkdirSync(join(root, 'chart', 'deep'), { recursive: true });
  writeFileSync(join(root, 'chart', 'deep', 'draw.ts'), 'export const drawn = 1;\n');
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), "exports.runProgram = () => process.stdout.write('compiled\\n');\n");
  writeFileSync(join(root, 'dist', 'build-stamp.json'), `${JSON.stringify({ startedAtMs: builtAtMs })}\n`);
  ageAll(root, builtAtMs - HOUR_MS);
  return root;
}

/** `node bin/elt.js` of `root`, optionally with tsx unavailable. */
function elt(root: string, options: { withoutTsx?: boolean } = {}) {
  const preload = options.withoutTsx ? ['--require', NO_TSX] : [];
  const run = spawnSync(process.execPath, [...preload, join(root, 'bin', 'elt.js'), '--version'], { encoding: 'utf8', cwd: root });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const touch = (path: string, timeMs = Date.now()) => utimesSync(path, timeMs / 1000, timeMs / 1000);

test('a checkout whose dist/ is newer than every source runs the compiled entry, with tsx unavailable too', () => {
  const root = checkout();
  expect(elt(root)).toEqual({ code: 0, stdout: 'compiled\n', stderr: '' });
  expect(elt(root, { withoutTsx: true })).toEqual({ code: 0, stdout: 'compiled\n', stderr: '' });
});

test('a source edited after the build runs the source through tsx, not the stale dist/ (an edit is live at once)', () => {
  const root = checkout();
  touch(join(root, 'cli', 'main.ts'));
  expect(elt(root)).toEqual({ code: 0, stdout: 'source\n', stderr: '' });
});

test('a change deep in any folder the build includes, or to a tsconfig, makes dist/ stale', () => {
  const deep = checkout();
  touch(join(deep, 'chart', 'deep', 'draw.ts'));
  expect(elt(deep).stdout).toBe('source\n');
  const config = checkout();
  touch(join(config, 'tsconfig.build.json'));
  expect(elt(config).stdout).toBe('source\n');
});

test('a source file removed or added after the build (its folder changed, no file newer) makes dist/ stale', () => {
  const removed = checkout();
  unlinkSync(join(removed, 'chart', 'deep', 'draw.ts'));
  expect(elt(removed).stdout).toBe('source\n');
  const added = checkout();
  writeFileSync(join(added, 'chart', 'new.ts'), 'export const added = 1;\n');
  touch(join(added, 'chart', 'new.ts'), Date.now() - 2 * HOUR_MS); // a file that arrives with an old time (tar, cp -p)
  expect(elt(added).stdout).toBe('source\n');
});

test('a change in the second the build started in counts as after it (file systems with whole-second times)', () => {
  const builtAtMs = Math.floor(Date.now() / 1000) * 1000 - HOUR_MS + 900;
  const root = checkout(builtAtMs);
  touch(join(root, 'cli', 'main.ts'), builtAtMs - 800); // same second, earlier by the clock: rounded down by a coarse file system
  expect(elt(root).stdout).toBe('source\n');
  touch(join(root, 'cli', 'main.ts'), builtAtMs - 1000);
  ageAll(join(root, 'cli'), builtAtMs - 1000);
  expect(elt(root).stdout).toBe('compiled\n');
});

test('a dist/ without the stamp of a finished build (tsc failed half-way, or an old build) is not run', () => {
  const root = checkout();
  unlinkSync(join(root, 'dist', 'build-stamp.json'));
  expect(elt(root).stdout).toBe('source\n');
  const garbled = checkout();
  writeFileSync(join(garbled, 'dist', 'build-stamp.json'), '{"startedAtMs": "soon"}');
  expect(elt(garbled).stdout).toBe('source\n');
});

test('a stale dist/ with no tsx to run the source fails with one line naming the changed file and exit 1, running neither', () => {
  const root = checkout();
  touch(join(root, 'chart', 'deep', 'draw.ts'));
  expect(elt(root, { withoutTsx: true })).toEqual({
    code: 1,
    stdout: '',
    stderr: 'elt: error: chart/deep/draw.ts changed after dist/ was built and tsx (a dev dependency) is not installed: run npm run build\n',
  });
});

test('without sources (an installed package, the image) the compiled entry runs whatever the file times', () => {
  const root = checkout();
  rmSync(join(root, 'cli'), { recursive: true });
  rmSync(join(root, 'chart'), { recursive: true });
  unlinkSync(join(root, 'dist', 'build-stamp.json'));
  expect(elt(root, { withoutTsx: true })).toEqual({ code: 0, stdout: 'compiled\n', stderr: '' });
});

test('a package with neither sources nor a dist/ fails with one line, exit 1', () => {
  const root = checkout();
  for (const folder of ['cli', 'chart', 'dist']) rmSync(join(root, folder), { recursive: true });
  expect(elt(root)).toEqual({
    code: 1,
    stdout: '',
    stderr: `elt: error: ${join(root, 'dist', 'cli', 'main.js')} is missing: run npm run build (npm ci does)\n`,
  });
});

test('a symbolic link in a source folder pointing up the tree (a loop) is looked at once, not followed down', () => {
  const root = checkout();
  symlinkSync('..', join(root, 'chart', 'deep', 'up'));
  ageAll(join(root, 'chart'), Date.now() - 2 * HOUR_MS);
  utimesSync(join(root, 'chart', 'deep', 'up'), (Date.now() - 2 * HOUR_MS) / 1000, (Date.now() - 2 * HOUR_MS) / 1000);
  expect(elt(root)).toEqual({ code: 0, stdout: 'compiled\n', stderr: '' });
});

/** The folders and files the Docker image's run stage copies from the checkout (`COPY <path> ./<path>`). */
function imageCopies(): string[] {
  const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  return [...runStage.matchAll(/^COPY (?!--)(\S+(?: \S+)*) \.\/\S*$/gm)].flatMap((match) => (match[1] as string).split(' '));
}

/** The TypeScript files under `dir`, outside node_modules. */
function typeScriptUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules') return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** A dist/ for the image: the checkout's own when it is current, else one built here by tsc. */
function compiledTree(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JavaScript of bin/, without types
  const { chooseEntry } = require(join(REPO, 'bin', 'choose-entry.js')) as {
    chooseEntry(root: string, name: string): { kind: string };
  };
  if (chooseEntry(REPO, 'cli/main').kind === 'compiled') return join(REPO, 'dist');
  const out = join(scratch, 'built dist');
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.build.json'), '--outDir', out], {
    encoding: 'utf8',
  });
  if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
  return out;
}

test("the image's layout (dist/ and what the Dockerfile copies, no sources, no tsx) runs a whole elt run: migrations, procedures, models, chart and docs found from dist/", async () => {
  const image = join(scratch, 'image app');
  for (const path of imageCopies()) cpSync(join(REPO, path), join(image, path), { recursive: true });
  cpSync(compiledTree(), join(image, 'dist'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(image, 'node_modules'));
  expect(typeScriptUnder(image)).toEqual([]); // the image holds no source: only the compiled tree and SQL

  const version = await runProcess(process.execPath, ['--require', NO_TSX, join(image, 'bin', 'elt.js'), '--version'], { cwd: image });
  expect(version).toEqual({
    code: 0,
    stdout: `${(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version}\n`,
    stderr: '',
  });

  const db = await createTestDatabase();
  try {
    const out = join(image, 'out');
    const run = await runProcess(
      process.execPath,
      ['--require', NO_TSX, join(image, 'bin', 'elt.js'), 'run', '--source', join(REPO, 'tests', 'fixtures', 'lake-sample'), '--output-dir', out],
      { cwd: image, env: { ...process.env, DATABASE_URL: db.url } },
    );
    expect(run.stderr).not.toMatch(/error|loaded TypeScript/i);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/load\s+1 files: 1 loaded, 0 skipped, 0 failed; 30 rows, 0 rejected/);
    expect(run.stdout).toMatch(/13 of 13 data tests passed/);
    for (const file of ['summary.json', 'run_results.json', 'ctr_per_category.png', join('docs', 'index.html')])
      expect(statSync(join(out, file)).size).toBeGreaterThan(0);
    const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from elt.procedures');
    expect(rows[0]?.n).toBe(readdirSync(join(REPO, 'db', 'procedures')).filter((file) => file.endsWith('.sql')).length);
  } finally {
    await db.drop();
  }
});
