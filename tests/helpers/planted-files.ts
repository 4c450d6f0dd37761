import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// What another local account plants in a folder it can write to, for the tests of the
// files the CLI reads (.elt/) and writes (out/, --out): links to a victim, files of
// another owner, files or folders writable by the group or others, FIFOs.

export const isRoot = process.getuid?.() === 0;
/** the uid and gid of `nobody` / `nogroup` on Debian: "another local user" */
export const NOBODY = 65534;

/** A file of the invoking user that nothing may change: mode 0600, in a private folder of its own. */
export interface Victim {
  path: string;
  content: string;
}

export function victimFile(name = 'important.conf'): Victim {
  const dir = mkdtempSync(join(tmpdir(), 'elt-victim-'));
  const path = join(dir, name);
  const content = `${name}: the victim's own settings, which no elt command may change\n`;
  writeFileSync(path, content, { mode: 0o600 });
  return { path, content };
}

/** The victim as it was: same bytes, same mode, still a regular file. */
export function victimUntouched(victim: Victim): { content: string; mode: string; file: boolean } {
  const stats = lstatSync(victim.path);
  return { content: readFileSync(victim.path, 'utf8'), mode: (stats.mode & 0o7777).toString(8), file: stats.isFile() };
}

export const UNTOUCHED = (victim: Victim) => ({ content: victim.content, mode: '600', file: true });

/** How a path is planted. `other-owner` and `link-of-other-owner` need root (chown). */
export type Plant = 'link-to-victim' | 'other-owner' | 'group-writable' | 'world-writable' | 'fifo' | 'link-of-other-owner';

export const NEEDS_ROOT: readonly Plant[] = ['other-owner', 'link-of-other-owner'];

/**
 * Plants `path` as a file (`kind` file) or a folder (`kind` dir) the way `plant`
 * says; `content` is what a planted file says (e.g. a password of the planter's).
 */
export function plant(path: string, how: Plant, kind: 'file' | 'dir', victim: Victim, content = 'planted\n'): void {
  const make = () => (kind === 'dir' ? mkdirSync(path, { mode: 0o700 }) : writeFileSync(path, content, { mode: 0o600 }));
  switch (how) {
    case 'link-to-victim':
      symlinkSync(kind === 'dir' ? join(victim.path, '..') : victim.path, path);
      return;
    case 'link-of-other-owner': {
      // the planter's own folder, holding the planter's files, and a link to it owned by the planter
      const theirs = mkdtempSync(join(tmpdir(), 'elt-planter-'));
      const target = join(theirs, kind === 'dir' ? 'dir' : 'file');
      if (kind === 'dir') mkdirSync(target, { mode: 0o755 });
      else writeFileSync(target, content, { mode: 0o644 });
      chmodSync(theirs, 0o755);
      chownSync(target, NOBODY, NOBODY);
      chownSync(theirs, NOBODY, NOBODY);
      symlinkSync(target, path);
      lchownSync(path, NOBODY, NOBODY);
      return;
    }
    case 'other-owner':
      make();
      chownSync(path, NOBODY, NOBODY);
      return;
    case 'group-writable':
      make();
      chmodSync(path, kind === 'dir' ? 0o770 : 0o660);
      return;
    case 'world-writable':
      make();
      chmodSync(path, kind === 'dir' ? 0o707 : 0o606);
      return;
    case 'fifo':
      execFileSync('mkfifo', ['-m', '600', path]);
      return;
  }
}

/** Says on stderr, once per file, why the tests that need root are skipped. */
export function sayRootSkips(file: string): void {
  if (!isRoot) process.stderr.write(`${file}: the cases planting files of another owner are skipped: they need root (chown); CI runs as root\n`);
}
