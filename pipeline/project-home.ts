import { lstatSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EltError, ExitCode } from '../core/errors';

/**
 * The project's home: the folder that keeps its embedded Postgres (`.elt/`) and its
 * outputs (`out/`), found the way git finds `.git` and dbt finds `dbt_project.yml`, so a
 * command started in a subfolder, or by cron in `/` with `--project-dir`, uses the same
 * database as one started in the project's folder.
 */
export interface ProjectHome {
  dir: string;
  /** how it was found: named (--project-dir / ELT_PROJECT_DIR), found walking up, or the current folder (no marker anywhere above) */
  how: 'named' | 'found' | 'here';
}

/** What marks a folder as a project's home. */
export const PROJECT_HOME_MARKERS = ['.elt', 'elt.project.json'] as const;

/** Whether `path` exists and belongs to the invoking user or root (another account's marker is never followed). */
function ownMarker(path: string): boolean {
  try {
    const stat = lstatSync(path);
    const uid = process.getuid?.();
    return uid === undefined || stat.uid === uid || stat.uid === 0;
  } catch {
    return false;
  }
}

/**
 * The home of the project a command runs in: `named` (from --project-dir or ELT_PROJECT_DIR,
 * relative to `cwd`) when given, which must be a folder; else the nearest folder from `cwd`
 * up that holds `.elt/` or `elt.project.json` of the invoking user (or root); else `cwd`.
 *
 * @example findProjectHome('/srv/news/models/marts').dir // '/srv/news' when /srv/news/.elt exists
 */
export function findProjectHome(cwd: string, named?: string): ProjectHome {
  if (named !== undefined && named !== '') {
    const dir = resolve(cwd, named);
    // a link to a folder named on purpose is followed
    const isDir = (() => {
      try {
        return statSync(dir).isDirectory();
      } catch {
        return false;
      }
    })();
    if (!isDir) throw new EltError(`--project-dir ${named}: no such folder`, ExitCode.usage);
    return { dir, how: 'named' };
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (PROJECT_HOME_MARKERS.some((marker) => ownMarker(join(dir, marker)))) return { dir, how: dir === resolve(cwd) ? 'here' : 'found' };
    if (dirname(dir) === dir) break;
  }
  return { dir: resolve(cwd), how: 'here' };
}
