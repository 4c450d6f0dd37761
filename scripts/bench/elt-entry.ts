/**
 * Which code the benchmark's `node bin/elt.js` runs: the compiled dist/ (what users run:
 * `npm ci` builds it, the Docker image holds nothing else) or the TypeScript sources
 * through tsx (bin/choose-entry.js picks them in a checkout whose sources changed since
 * dist/ was built). tsx compiles every module at each start, so figures taken on the
 * sources are not a user's: before it starts, the bench builds a stale dist/
 * (`npm run build`, scripts/build-dist.cjs), unless asked to run the sources
 * (--from-source), and the machine description says which entry ran.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** What bin/choose-entry.js decides for a checkout (plain JavaScript: it runs before anything is compiled). */
interface ChosenEntry {
  kind: 'compiled' | 'source';
  path: string;
  reason?: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- bin/ is CommonJS without types, shared with bin/elt.js
const { chooseEntry } = require('../../bin/choose-entry') as { chooseEntry: (root: string, name: string) => ChosenEntry };

export interface EltEntry {
  kind: 'compiled' | 'source';
  /** the file bin/elt.js requires, relative to the checkout */
  path: string;
  /** why the sources run (dist/ stale or missing, and --from-source) */
  reason?: string;
  /** the bench built dist/ before starting, because it was stale */
  built: boolean;
}

/** The entry in one phrase, for the machine description: `compiled dist/cli/main.js (built by the bench: cli/x.ts changed after dist/ was built)`. */
export function describeEntry(entry: EltEntry): string {
  if (entry.kind === 'source') return `TypeScript sources through tsx, ${entry.path} (${entry.reason ?? 'dist/ not current'})`;
  return `compiled ${entry.path}${entry.built ? ` (built by the bench: ${entry.reason ?? 'dist/ was not current'})` : ''}`;
}

/** A stale dist/ the bench could not build: one line, the build's last output line in it. */
export class EntryError extends Error {}

/**
 * The entry `node bin/elt.js` runs in the checkout at `root`, after building dist/ when
 * it is stale (`node scripts/build-dist.cjs`, what `npm run build` runs; its output goes to
 * stderr), unless `fromSource`. Throws EntryError when the build fails or still leaves
 * the sources chosen: the bench never measures the sources unasked.
 */
export function prepareEltEntry(root: string, options: { fromSource: boolean; log: (line: string) => void }): EltEntry {
  const relative = (path: string) => path.slice(root.length + 1);
  const first = chooseEntry(root, 'cli/main');
  if (first.kind === 'compiled') return { kind: 'compiled', path: relative(first.path), built: false };
  if (options.fromSource) return { kind: 'source', path: relative(first.path), reason: `--from-source; ${first.reason ?? ''}`, built: false };
  options.log(`dist/ is not current (${first.reason ?? '?'}): npm run build, so that elt runs compiled as users run it`);
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-dist.cjs')], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = `${build.stdout ?? ''}${build.stderr ?? ''}`.trim();
  if (output) for (const line of output.split('\n')) options.log(`  build | ${line}`);
  if (build.status !== 0) {
    const last = output.split('\n').at(-1) ?? build.error?.message ?? `exit ${build.status ?? build.signal}`;
    throw new EntryError(`dist/ is not current (${first.reason ?? '?'}) and npm run build failed: ${last} (--from-source runs the sources instead)`);
  }
  const after = chooseEntry(root, 'cli/main');
  if (after.kind !== 'compiled') {
    throw new EntryError(
      `npm run build left dist/ not current (${after.reason ?? '?'}): is a source being edited meanwhile? (--from-source runs the sources instead)`,
    );
  }
  return { kind: 'compiled', path: relative(after.path), reason: first.reason, built: true };
}
