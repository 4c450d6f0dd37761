import type { Pool } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import { SETTINGS } from '../core/settings/declared-settings';

export interface ModelSettings {
  /** IANA time zone the report days are counted in, e.g. UTC or Europe/Berlin */
  timeZone?: string;
  /** a gap longer than this many minutes starts a new session */
  sessionGapMinutes?: number;
}

/**
 * Throws a usage error (exit 2) for a setting the models cannot use: an unknown
 * time zone, a session gap that is not a positive number of minutes. Commands call
 * it before they touch any data, so a typo never follows a committed load.
 */
export async function checkSettings(pool: Pool, settings: ModelSettings): Promise<void> {
  const gap = SETTINGS.sessionGapMinutes.value;
  if (settings.sessionGapMinutes !== undefined && gap.fromJson(settings.sessionGapMinutes) === undefined) {
    throw new EltError(`the session gap must be ${gap.describe}, not ${settings.sessionGapMinutes}`, ExitCode.usage);
  }
  if (settings.timeZone !== undefined) {
    const { rows } = await pool.query<{ ok: boolean }>('select exists (select 1 from pg_timezone_names where name = $1) as ok', [settings.timeZone]);
    if (!rows[0]?.ok) {
      throw new EltError(`unknown time zone "${settings.timeZone}" (use an IANA name such as UTC or Europe/Berlin)`, ExitCode.usage);
    }
  }
}

/**
 * Writes the given settings to elt.settings (the models read them from there);
 * settings left undefined keep their stored value. Marts pick them up on refresh.
 */
export async function applySettings(pool: Pool, settings: ModelSettings): Promise<{ timeZone: string; sessionGapMinutes: number }> {
  await checkSettings(pool, settings);
  const stored = await storedSettings(pool);
  // written only when they change: an analyst, who may only read them, refreshes with the stored ones
  if (settings.timeZone !== undefined && settings.timeZone !== stored.timeZone) {
    await pool.query('update elt.settings set reporting_time_zone = $1', [settings.timeZone]);
  }
  if (settings.sessionGapMinutes !== undefined && settings.sessionGapMinutes !== stored.sessionGapMinutes) {
    await pool.query("update elt.settings set session_gap = $1 * interval '1 minute'", [settings.sessionGapMinutes]);
  }
  return storedSettings(pool);
}

async function storedSettings(pool: Pool): Promise<{ timeZone: string; sessionGapMinutes: number }> {
  const { rows } = await pool.query<{ time_zone: string; gap_minutes: string }>(
    'select reporting_time_zone as time_zone, extract(epoch from session_gap) / 60 as gap_minutes from elt.settings',
  );
  const row = rows[0] as { time_zone: string; gap_minutes: string };
  return { timeZone: row.time_zone, sessionGapMinutes: Number(row.gap_minutes) };
}
