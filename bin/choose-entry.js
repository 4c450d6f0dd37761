// Which code `elt` runs: the compiled JavaScript in dist/ (what `npm ci` builds, and
// all the Docker image holds), or, in a checkout whose sources changed since dist/
// was built, the TypeScript sources through tsx, so that an edit is live at once.
// Plain JavaScript: it runs before anything is compiled.
'use strict';
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

/** What `npm run build` writes into dist/ once tsc has compiled: when that build started. */
const STAMP = 'build-stamp.json';

/** The files a build depends on besides the folders tsconfig.build.json includes. */
const BUILD_FILES = ['tsconfig.json', 'tsconfig.build.json'];

/** The source folders tsconfig.build.json compiles (read, not repeated here). */
function sourceFolders(root) {
  const config = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8'));
  return Array.isArray(config.include) ? config.include : [];
}

/**
 * The first file or folder under `dir` (itself included: a file added, removed or
 * renamed changes its folder's time) changed at or after `sinceMs`, or undefined.
 */
function changedUnder(dir, sinceMs) {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    return undefined; // a folder the checkout does not have
  }
  if (stat.mtimeMs >= sinceMs) return dir;
  if (!stat.isDirectory()) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const changed = changedUnder(path, sinceMs);
      if (changed) return changed;
    } else if (statSync(path).mtimeMs >= sinceMs) {
      return path;
    }
  }
  return undefined;
}

/** When the build that wrote dist/ started (ms), or undefined when dist/ holds no finished build. */
function buildStartedMs(root) {
  try {
    const stamp = JSON.parse(readFileSync(join(root, 'dist', STAMP), 'utf8'));
    return typeof stamp.startedAtMs === 'number' ? stamp.startedAtMs : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The entry to run for `name` (`cli/main`): `{ kind: 'compiled', path }` when dist/ is
 * current or there are no sources (an installed package, the image); else
 * `{ kind: 'source', path, reason }`. A file counts as changed when its time is at or
 * after the second the build started in (file systems with whole-second times included):
 * in doubt, the source runs.
 */
function chooseEntry(root, name) {
  const compiled = join(root, 'dist', `${name}.js`);
  const source = join(root, `${name}.ts`);
  if (!exists(source)) return { kind: 'compiled', path: compiled };
  const startedAtMs = buildStartedMs(root);
  if (startedAtMs === undefined || !exists(compiled)) return { kind: 'source', path: source, reason: 'dist/ holds no finished build' };
  const sinceMs = startedAtMs - (startedAtMs % 1000);
  for (const part of [...BUILD_FILES, ...sourceFolders(root)]) {
    const changed = changedUnder(join(root, part), sinceMs);
    if (changed) return { kind: 'source', path: source, reason: `${changed.slice(root.length + 1)} changed after dist/ was built` };
  }
  return { kind: 'compiled', path: compiled };
}

function exists(path) {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Requires the chosen entry of `name`; the source through tsx (a dev dependency). A
 * checkout whose dist/ is out of date and that has no tsx fails with one line, exit 1:
 * a stale build is never run in its place. So does a package with neither sources nor dist/.
 */
function requireEntry(root, name) {
  const entry = chooseEntry(root, name);
  if (entry.kind === 'source') {
    try {
      require.resolve('tsx/cjs');
    } catch {
      process.stderr.write(`elt: error: ${entry.reason} and tsx (a dev dependency) is not installed: run npm run build\n`);
      process.exit(1);
    }
    require('tsx/cjs');
  } else if (!exists(entry.path)) {
    process.stderr.write(`elt: error: ${entry.path} is missing: run npm run build (npm ci does)\n`);
    process.exit(1);
  }
  return require(entry.path);
}

module.exports = { chooseEntry, requireEntry, STAMP };
