import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadObject } from '../../loader/load-object';
import { listLocalObjects } from '../../loader/sources/local-source';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const row = (session: string) => `2019-02-15 03:07:03.662 +0000\t${session}\tarticle_viewed\tu1\t{"id": "a1"}`;

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  dir = mkdtempSync(join(tmpdir(), 'elt-copy-count-'));
});
afterAll(() => db.drop());

test('COPY storing fewer rows than were sent (a trigger drops one) fails the object with an error naming both counts; nothing of it stays loaded', async () => {
  // a BEFORE trigger returning null makes COPY skip the row: its own count (CommandComplete's COPY n) says 2, we sent 3
  await db.pool.query(`
    create function raw.drop_line_3() returns trigger language plpgsql as $$
    begin
      if new.line_no = 3 then return null; end if;
      return new;
    end $$;
    create trigger drop_line_3 before insert on raw.raw_events for each row execute function raw.drop_line_3();
  `);
  try {
    const path = join(dir, '2019-02-15.tsv');
    writeFileSync(path, `${HEADER}\n${row('s1')}\n${row('s2')}\n${row('s3')}\n`);
    const [object] = listLocalObjects(path);
    const result = await loadObject(db.pool, object!, { maxRejectRatio: 1 });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/COPY stored 2 rows where 3 were sent/);
    const { rows: ledger } = await db.pool.query<{ status: string; error: string }>('select status, error from raw.loads where source_uri = $1', [
      result.uri,
    ]);
    expect(ledger).toEqual([{ status: 'failed', error: result.error }]);
    const { rows: events } = await db.pool.query('select 1 from raw.raw_events');
    expect(events).toHaveLength(0);
  } finally {
    await db.pool.query('drop trigger drop_line_3 on raw.raw_events; drop function raw.drop_line_3()');
  }
});
