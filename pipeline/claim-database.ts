import type { Pool } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import type { Project } from './project';

/** Records which project the database holds, and refuses to mix two projects' models in one database. */
export async function claimDatabase(pool: Pool, project: Project): Promise<void> {
  // read first: an analyst (who may only read it) refreshes a database already claimed
  let { rows } = await pool.query<{ name: string }>('select name from elt.project');
  if (rows.length === 0) {
    await pool.query('insert into elt.project (name) values ($1) on conflict (is_singleton) do nothing', [project.name]);
    ({ rows } = await pool.query<{ name: string }>('select name from elt.project'));
  }
  const holder = rows[0]?.name;
  if (holder !== project.name) {
    throw new EltError(
      `this database holds the project "${holder}"; run "${project.name}" on a database of its own (another DATABASE_URL, or the embedded default)`,
      ExitCode.usage,
    );
  }
}
