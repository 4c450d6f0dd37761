import { chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { ExitCode } from '../../core/errors';
import { appendToLog, createAtomicWriteStream, writeFileAtomic } from '../../core/safe-write';
import { checkTrustedDir, ensureTrustedDir, readRegularFile, readTrustedFile, readTrustedTail, UntrustedPathError } from '../../core/trusted-path';
import { isRoot, NOBODY, plant, sayRootSkips, UNTOUCHED, victimFile, victimUntouched } from '../helpers/planted-files';

// The two small modules every file the CLI reads as state or writes goes through,
// probed as another local account would: links, hard links, FIFOs, files and folders
// of another owner or writable by others, files that never end.

sayRootSkips('safe-write.test.ts');
const rootOnly = isRoot ? test : test.skip;

const folder = () => mkdtempSync(join(tmpdir(), 'elt-safe-write-'));
const refusal = (path: string) =>
  expect.objectContaining({ name: 'UntrustedPathError', exitCode: ExitCode.usage, message: expect.stringContaining(`refusing ${path}: `) });

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (err) {
    return err;
  }
  return undefined;
}

test('writeFileAtomic replaces a symlink (also a dangling one) or a hard link with a new file, and leaves its target alone', () => {
  const dir = folder();
  const victim = victimFile();
  symlinkSync(victim.path, join(dir, 'through-link'));
  symlinkSync(join(dir, 'nowhere', 'new-file'), join(dir, 'dangling'));
  linkSync(victim.path, join(dir, 'hard-link'));
  for (const name of ['through-link', 'dangling', 'hard-link']) writeFileAtomic(join(dir, name), 'ours\n', 0o600);
  expect(victimUntouched(victim)).toEqual(UNTOUCHED(victim));
  for (const name of ['through-link', 'dangling', 'hard-link']) {
    expect([lstatSync(join(dir, name)).isFile(), lstatSync(join(dir, name)).nlink, readFileSync(join(dir, name), 'utf8')]).toEqual([
      true,
      1,
      'ours\n',
    ]);
  }
  expect(readdirSync(dir).sort()).toEqual(['dangling', 'hard-link', 'through-link']); // no temporary file left
});

test('writeFileAtomic onto a folder fails and leaves no temporary file behind', () => {
  const dir = folder();
  mkdirSync(join(dir, 'a-folder'));
  expect(() => writeFileAtomic(join(dir, 'a-folder'), 'x')).toThrow(/EISDIR|directory/i);
  expect(readdirSync(dir)).toEqual(['a-folder']);
});

test('createAtomicWriteStream: nothing appears under the name until commit, which replaces a planted symlink; discard leaves nothing', async () => {
  const dir = folder();
  const victim = victimFile();
  symlinkSync(victim.path, join(dir, 'day.tsv'));
  const kept = createAtomicWriteStream(join(dir, 'day.tsv'));
  kept.stream.end('rows\n');
  await finished(kept.stream);
  expect(lstatSync(join(dir, 'day.tsv')).isSymbolicLink()).toBe(true);
  kept.commit();
  expect([readFileSync(join(dir, 'day.tsv'), 'utf8'), victimUntouched(victim)]).toEqual(['rows\n', UNTOUCHED(victim)]);
  const dropped = createAtomicWriteStream(join(dir, 'other.tsv'));
  dropped.stream.end('half');
  await finished(dropped.stream);
  dropped.discard();
  expect(readdirSync(dir)).toEqual(['day.tsv']);
});

test.each(['link-to-victim', 'group-writable', 'world-writable', 'fifo'] as const)(
  'appendToLog refuses a log planted as %s, writing nothing',
  (how) => {
    const dir = folder();
    const victim = victimFile();
    plant(join(dir, 'server.log'), how, 'file', victim);
    expect(thrown(() => appendToLog(join(dir, 'server.log'), 'line\n'))).toEqual(refusal(join(dir, 'server.log')));
    expect(victimUntouched(victim)).toEqual(UNTOUCHED(victim));
  },
);

test('appendToLog refuses a hard link to a file of ours (a second name for it), and appends to its own log', () => {
  const dir = folder();
  const victim = victimFile();
  linkSync(victim.path, join(dir, 'server.log'));
  expect(thrown(() => appendToLog(join(dir, 'server.log'), 'line\n'))).toEqual(refusal(join(dir, 'server.log')));
  expect(victimUntouched(victim)).toEqual(UNTOUCHED(victim));
  appendToLog(join(dir, 'own.log'), 'one\n');
  appendToLog(join(dir, 'own.log'), 'two\n');
  expect([readFileSync(join(dir, 'own.log'), 'utf8'), (lstatSync(join(dir, 'own.log')).mode & 0o777).toString(8)]).toEqual(['one\ntwo\n', '600']);
});

test.each(['link-to-victim', 'group-writable', 'world-writable', 'fifo'] as const)(
  'readTrustedFile refuses a file planted as %s, without blocking',
  (how) => {
    const dir = folder();
    plant(join(dir, 'password'), how, 'file', victimFile(), 'evepass\n');
    expect(thrown(() => readTrustedFile(join(dir, 'password'), { maxBytes: 1024 }))).toEqual(refusal(join(dir, 'password')));
  },
);

rootOnly("readTrustedFile refuses a file of another account, and takes one of the accounts it is told to (the server's)", () => {
  const dir = folder();
  writeFileSync(join(dir, 'postmaster.pid'), '42\n', { mode: 0o600 });
  chownSync(join(dir, 'postmaster.pid'), NOBODY, NOBODY);
  expect(thrown(() => readTrustedFile(join(dir, 'postmaster.pid'), { maxBytes: 64 }))).toEqual(refusal(join(dir, 'postmaster.pid')));
  expect(readTrustedFile(join(dir, 'postmaster.pid'), { maxBytes: 64, alsoOwnedBy: [NOBODY] })).toBe('42\n');
});

test('readTrustedFile and readRegularFile refuse a file larger than they ever hold; a missing file is ENOENT, not a refusal', () => {
  const dir = folder();
  writeFileSync(join(dir, 'keeper.pid'), '1'.repeat(65), { mode: 0o600 });
  expect(thrown(() => readTrustedFile(join(dir, 'keeper.pid'), { maxBytes: 64 }))).toEqual(refusal(join(dir, 'keeper.pid')));
  expect(thrown(() => readRegularFile(join(dir, 'keeper.pid'), 64))).toEqual(refusal(join(dir, 'keeper.pid')));
  expect(thrown(() => readTrustedFile(join(dir, 'missing'), { maxBytes: 64 }))).toMatchObject({ code: 'ENOENT' });
});

test('readTrustedTail reads the last bytes of a long log only', () => {
  const dir = folder();
  const log = `${'old line\n'.repeat(100_000)}last line\n`;
  writeFileSync(join(dir, 'server.log'), log, { mode: 0o600 });
  expect(readTrustedTail(join(dir, 'server.log'), 20)).toBe(log.slice(-20));
});

test.each(['group-writable', 'world-writable', 'fifo'] as const)('checkTrustedDir and ensureTrustedDir refuse a folder planted as %s', (how) => {
  const dir = folder();
  plant(join(dir, 'out'), how, 'dir', victimFile());
  expect(thrown(() => checkTrustedDir(join(dir, 'out')))).toEqual(refusal(join(dir, 'out')));
  expect(thrown(() => ensureTrustedDir(join(dir, 'out')))).toEqual(refusal(join(dir, 'out')));
});

rootOnly.each(['other-owner', 'link-of-other-owner'] as const)('checkTrustedDir refuses a folder planted as %s', (how) => {
  const dir = folder();
  plant(join(dir, 'out'), how, 'dir', victimFile());
  expect(thrown(() => checkTrustedDir(join(dir, 'out')))).toBeInstanceOf(UntrustedPathError);
});

test('checkTrustedDir follows a link of ours to a folder of ours, refuses it with noLink, and refuses a loop of links', () => {
  const dir = folder();
  mkdirSync(join(dir, 'real'), { mode: 0o755 });
  symlinkSync(join(dir, 'real'), join(dir, 'out'));
  expect(checkTrustedDir(join(dir, 'out'))).toBe(true);
  expect(thrown(() => checkTrustedDir(join(dir, 'out'), { noLink: true }))).toEqual(refusal(join(dir, 'out')));
  symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
  symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
  expect(thrown(() => checkTrustedDir(join(dir, 'loop-a')))).toEqual(refusal(join(dir, 'loop-a')));
  expect(checkTrustedDir(join(dir, 'missing'))).toBe(false);
});

test('ensureTrustedDir makes a missing folder (and its parents) with the mode asked, less the umask', () => {
  const dir = folder();
  ensureTrustedDir(join(dir, 'a', 'b'), 0o700);
  expect((lstatSync(join(dir, 'a', 'b')).mode & 0o777).toString(8)).toBe('700');
});
