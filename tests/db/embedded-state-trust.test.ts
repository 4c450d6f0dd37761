import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EltError, ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { startEmbeddedServer } from '../../db/embedded-server';
import { envWithout, runCli } from '../helpers/run-cli';
import { isRoot, NEEDS_ROOT, plant, sayRootSkips, UNTOUCHED, victimFile, victimUntouched, type Plant } from '../helpers/planted-files';

// In a folder others can write to (a shared checkout, sudo in someone's folder), what
// another account planted in .elt/ must not be trusted: its password would become the
// superuser's, its keeper.pid would choose whom we signal, its links would be written
// through. Each state file and folder, planted each way: refused in one line (exit 2),
// nothing started, the victim unchanged.

sayRootSkips('embedded-state-trust.test.ts');

const FILES = ['password', 'port', 'server.json', 'keeper.pid', 'lock', 'server.log'] as const;
const FILE_PLANTS: Plant[] = ['link-to-victim', 'other-owner', 'group-writable', 'world-writable', 'fifo'];
const DIRS = ['leases', 'pgdata'] as const;
// a link of our own to a folder of our own is ours to make for .elt/pgdata (as root, elt makes one), not for leases/
const DIR_PLANTS: Record<(typeof DIRS)[number] | '.elt', Plant[]> = {
  leases: ['link-to-victim', 'link-of-other-owner', 'other-owner', 'group-writable', 'world-writable', 'fifo'],
  pgdata: ['link-of-other-owner', 'other-owner', 'group-writable', 'world-writable', 'fifo'],
  '.elt': ['link-of-other-owner', 'other-owner', 'group-writable', 'world-writable', 'fifo'],
};

function folder(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'elt-state-trust-'));
  chmodSync(cwd, 0o755);
  return cwd;
}

/** Starts (then stops, should it start) the embedded server of `cwd`: the error it refuses with, if any. */
async function attempt(cwd: string): Promise<{ error?: unknown; url?: string }> {
  try {
    const server = await startEmbeddedServer(cwd, silentLogger, { postgresFlags: ['-c', 'fsync=off'] });
    await server.stop();
    return { url: server.url };
  } catch (error) {
    return { error };
  }
}

function expectRefused(outcome: { error?: unknown; url?: string }, path: string): void {
  expect(outcome.url).toBeUndefined();
  const error = outcome.error as EltError;
  expect(error).toBeInstanceOf(EltError);
  expect([error.exitCode, error.message.includes('\n')]).toEqual([ExitCode.usage, false]);
  expect(error.message).toContain(path);
  expect(error.message).toMatch(/refus/);
}

const cases: [string, Plant, 'file' | 'dir'][] = [
  ...FILES.flatMap((name) => FILE_PLANTS.map((how): [string, Plant, 'file'] => [name, how, 'file'])),
  ...DIRS.flatMap((name) => DIR_PLANTS[name].map((how): [string, Plant, 'dir'] => [name, how, 'dir'])),
];

describe.each(cases)('.elt/%s planted as %s (%s)', (name, how, kind) => {
  const run = NEEDS_ROOT.includes(how) && !isRoot ? test.skip : test;
  run('is refused in one line with exit code 2: nothing starts, the victim is unchanged', async () => {
    const cwd = folder();
    const stateDir = join(cwd, '.elt');
    mkdirSync(stateDir, { mode: 0o700 });
    const victim = victimFile();
    // a planted password is the planter's: it must never become the superuser's
    plant(join(stateDir, name), how, kind, victim, name === 'password' ? 'evepass\n' : name === 'keeper.pid' ? '1\n' : 'planted\n');
    const outcome = await attempt(cwd);
    expectRefused(outcome, join(stateDir, name));
    expect(victimUntouched(victim)).toEqual(UNTOUCHED(victim));
    if (name !== 'keeper.pid') expect(existsSync(join(stateDir, 'keeper.pid'))).toBe(false);
  });
});

describe.each(DIR_PLANTS['.elt'])('.elt itself planted as %s', (how) => {
  const run = NEEDS_ROOT.includes(how) && !isRoot ? test.skip : test;
  run('is refused in one line with exit code 2: nothing is written into it', async () => {
    const cwd = folder();
    const victim = victimFile();
    plant(join(cwd, '.elt'), how, 'dir', victim);
    const outcome = await attempt(cwd);
    expectRefused(outcome, join(cwd, '.elt'));
    expect(victimUntouched(victim)).toEqual(UNTOUCHED(victim));
  });
});

test("a .elt planted with the planter's password: elt status refuses in one line (exit 2) and prints no URL with that password", async () => {
  const cwd = folder();
  const victim = victimFile();
  // as root, the account "nobody" planted it; otherwise it is a folder anyone may write to
  plant(join(cwd, '.elt'), isRoot ? 'other-owner' : 'world-writable', 'dir', victim);
  chmodSync(join(cwd, '.elt'), isRoot ? 0o777 : 0o707);
  plant(join(cwd, '.elt', 'password'), 'world-writable', 'file', victim, 'evepass\n');
  const result = await runCli(['status'], { cwd, env: envWithout('DATABASE_URL') });
  expect(result.code).toBe(ExitCode.usage);
  expect(result.stdout + result.stderr).not.toContain('evepass');
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('elt: error'));
  expect(errors).toEqual([expect.stringMatching(/refusing .*\.elt.*(another account|writable)/)]);
  expect(readFileSync(join(cwd, '.elt', 'password'), 'utf8')).toBe('evepass\n');
}, 60_000);
