import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeEntry, EntryError, prepareEltEntry } from '../../scripts/bench/elt-entry';
import { describeMachine } from '../../scripts/bench/machine';

// The bench measures the code users run: the compiled dist/. In a small checkout of its
// own (its cli/main.ts, tsconfig files and a scripts/build-dist.cjs standing for
// `npm run build`, which writes dist/ and its stamp as the real one does, and leaves a
// mark that it ran), a stale dist/ is built before the bench starts, a current one is
// not, --from-source runs the sources, and a build that fails or leaves dist/ stale stops
// the bench with one line. bin/choose-entry.js, which decides, is the real one.

const scratch = mkdtempSync(join(tmpdir(), 'elt bench entry '));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const LONG_AGO = new Date('2020-01-01T00:00:00Z');

/** What the stand-in build does: `ok` writes dist/ and its stamp; `fails` exits 1 with a message; `stale` exits 0 and writes nothing. */
type Build = 'ok' | 'fails' | 'stale';

function checkout(name: string, build: Build): string {
  const root = join(scratch, name);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('cli/main.ts', 'export {};\n');
  write('tsconfig.json', '{}\n');
  write('tsconfig.build.json', '{ "include": ["cli"] }\n');
  const body = {
    ok: `const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const root = join(__dirname, '..');
const startedAtMs = Date.now();
mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
writeFileSync(join(root, 'dist', 'cli', 'main.js'), 'module.exports = {};\\n');
writeFileSync(join(root, 'dist', 'build-stamp.json'), JSON.stringify({ startedAtMs }));
writeFileSync(join(root, 'built-mark'), '');
console.log('compiled');`,
    fails: `process.stderr.write('build: error: TypeScript is not installed: run npm ci\\n'); process.exit(1);`,
    stale: `require('node:fs').writeFileSync(require('node:path').join(__dirname, '..', 'built-mark'), '');`,
  }[build];
  write('scripts/build-dist.cjs', `${body}\n`);
  // the sources were written long before any build
  for (const path of ['cli/main.ts', 'cli', 'tsconfig.json', 'tsconfig.build.json']) utimesSync(join(root, path), LONG_AGO, LONG_AGO);
  return root;
}

/** A dist/ built now, after the sources were written (without the stand-in's mark). */
function currentDist(root: string): void {
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), 'module.exports = {};\n');
  writeFileSync(join(root, 'dist', 'build-stamp.json'), JSON.stringify({ startedAtMs: Date.now() }));
}

function prepare(root: string, fromSource = false) {
  const lines: string[] = [];
  const entry = prepareEltEntry(root, { fromSource, log: (line) => lines.push(line) });
  return { entry, lines };
}

describe('the code the bench runs (scripts/bench/elt-entry.ts)', () => {
  test('a current dist/ is run as it is: no build, described as compiled', () => {
    const root = checkout('current', 'ok');
    currentDist(root);
    const { entry, lines } = prepare(root);
    expect(entry).toEqual({ kind: 'compiled', path: join('dist', 'cli', 'main.js'), built: false });
    expect(existsSync(join(root, 'built-mark'))).toBe(false);
    expect(lines).toEqual([]);
    expect(describeEntry(entry)).toBe('compiled dist/cli/main.js');
  });

  test('a dist/ older than a source is rebuilt before the bench starts, and the description says why', () => {
    const root = checkout('stale', 'ok');
    currentDist(root);
    // built a minute before the sources were last written
    writeFileSync(join(root, 'dist', 'build-stamp.json'), JSON.stringify({ startedAtMs: LONG_AGO.getTime() - 60_000 }));
    const { entry, lines } = prepare(root);
    expect(existsSync(join(root, 'built-mark'))).toBe(true);
    expect(entry).toMatchObject({ kind: 'compiled', path: join('dist', 'cli', 'main.js'), built: true });
    expect(describeEntry(entry)).toMatch(/^compiled dist\/cli\/main\.js \(built by the bench: .*changed after dist\/ was built\)$/);
    expect(lines[0]).toMatch(/^dist\/ is not current \(.*\): npm run build/);
    expect(lines).toContain('  build | compiled');
  });

  test('no dist/ at all is built too', () => {
    const root = checkout('none', 'ok');
    const { entry } = prepare(root);
    expect(entry).toMatchObject({ kind: 'compiled', built: true, reason: 'dist/ holds no finished build' });
  });

  test('--from-source runs the sources of a stale checkout without building, and says so', () => {
    const root = checkout('from-source', 'ok');
    const { entry } = prepare(root, true);
    expect(existsSync(join(root, 'built-mark'))).toBe(false);
    expect(entry).toMatchObject({ kind: 'source', path: join('cli', 'main.ts'), built: false });
    expect(describeEntry(entry)).toBe('TypeScript sources through tsx, cli/main.ts (--from-source; dist/ holds no finished build)');
  });

  test('--from-source on a current dist/ still runs the compiled code', () => {
    const root = checkout('from-source-current', 'ok');
    currentDist(root);
    expect(prepare(root, true).entry).toMatchObject({ kind: 'compiled', built: false });
  });

  test('a build that fails stops the bench with one line naming the build error, never measuring the sources unasked', () => {
    const root = checkout('fails', 'fails');
    expect(() => prepare(root)).toThrow(EntryError);
    expect(() => prepare(root)).toThrow(
      /^dist\/ is not current \(dist\/ holds no finished build\) and npm run build failed: build: error: TypeScript is not installed: run npm ci \(--from-source runs the sources instead\)$/,
    );
  });

  test('a build that exits 0 but leaves dist/ stale stops the bench too', () => {
    const root = checkout('leaves-stale', 'stale');
    expect(() => prepare(root)).toThrow(/^npm run build left dist\/ not current \(dist\/ holds no finished build\)/);
    expect(existsSync(join(root, 'built-mark'))).toBe(true);
  });

  test('the machine description carries the entry when given one, and only then', () => {
    expect(describeMachine().elt).toBeUndefined();
    expect(describeMachine({ kind: 'compiled', path: 'dist/cli/main.js', built: false }).elt).toBe('compiled dist/cli/main.js');
  });
});
