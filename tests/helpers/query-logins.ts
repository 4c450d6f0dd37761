import type { Pool } from 'pg';

/**
 * The temporary logins (`elt_query_*`) that ran a statement holding `tag`, seen by
 * polling pg_stat_activity while it runs. Roles belong to the whole server, where other
 * test files run `elt query` at the same time: a test asks about the logins its own
 * statement used, never about every `elt_query_*` role.
 */
export function watchQueryLogins(pool: Pool, tag: string): { stop(): Promise<string[]> } {
  const seen = new Set<string>();
  let stopped = false;
  const polling = (async () => {
    while (!stopped) {
      const { rows } = await pool.query<{ usename: string }>(
        `select distinct usename from pg_stat_activity
         where usename like 'elt\\_query\\_%' and query like '%' || $1 || '%' and pid <> pg_backend_pid()`,
        [tag],
      );
      for (const row of rows) seen.add(row.usename);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await polling;
      return [...seen];
    },
  };
}

/** Which of `logins` still exist as roles. */
export async function loginsLeft(pool: Pool, logins: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ rolname: string }>('select rolname from pg_roles where rolname = any($1::text[]) order by rolname', [logins]);
  return rows.map((row) => row.rolname);
}
