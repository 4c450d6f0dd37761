import { SETTINGS } from '../../core/settings/declared-settings';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// The settings models read live in elt.settings, whose column defaults come from a migration
// (migrations/0005_elt_settings.sql): they must be the declared defaults (core/settings/declared-settings.ts).

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(() => db.drop());

test("elt.settings' column defaults are the declared defaults of the time zone and the session gap", async () => {
  const client = await db.pool.connect();
  try {
    // the defaults as the server evaluates them, in a scratch copy of the table
    await client.query('begin');
    await client.query('create temporary table defaults (like elt.settings including defaults) on commit drop');
    await client.query('insert into defaults default values');
    const { rows } = await client.query<{ time_zone: string; gap_minutes: string }>(
      'select reporting_time_zone as time_zone, extract(epoch from session_gap) / 60 as gap_minutes from defaults',
    );
    await client.query('rollback');
    expect({ timeZone: rows[0]?.time_zone, sessionGapMinutes: Number(rows[0]?.gap_minutes) }).toEqual({
      timeZone: SETTINGS.timeZone.default,
      sessionGapMinutes: SETTINGS.sessionGapMinutes.default,
    });
  } finally {
    client.release();
  }
});

test('the stored settings of a fresh database are the declared defaults', async () => {
  const { rows } = await db.pool.query<{ time_zone: string; gap_minutes: string }>(
    'select reporting_time_zone as time_zone, extract(epoch from session_gap) / 60 as gap_minutes from elt.settings',
  );
  expect(rows.map((row) => [row.time_zone, Number(row.gap_minutes)])).toEqual([[SETTINGS.timeZone.default, SETTINGS.sessionGapMinutes.default]]);
});
