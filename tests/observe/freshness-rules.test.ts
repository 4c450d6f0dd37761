import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { resolveSettings } from '../../core/settings/resolve-settings';
import { readProject } from '../../pipeline/project';
import { formatDuration, freshnessState, freshnessThresholds, parseDuration } from '../../observe/freshness';

const HOUR = 3_600_000;

describe('parseDuration', () => {
  test.each([
    ['26h', 26 * HOUR],
    ['2d', 48 * HOUR],
    ['90m', 90 * 60_000],
    ['45s', 45_000],
    ['1w', 168 * HOUR],
    ['1d12h', 36 * HOUR],
    ['1.5h', 90 * 60_000],
    [' 2D ', 48 * HOUR],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(['', '26', 'h', '2 d', '-1h', '3y', '1h30', 'abc'])('refuses "%s" as a usage error naming the flag', (text) => {
    expect(() => parseDuration(text, '--warn-after')).toThrow(
      expect.objectContaining({ exitCode: ExitCode.usage, message: expect.stringContaining('--warn-after') }),
    );
  });
});

test('formatDuration reads as days and hours, hours and minutes, or seconds', () => {
  expect(formatDuration(26 * HOUR + 5 * 60_000)).toBe('1d 2h');
  expect(formatDuration(3 * HOUR + 5 * 60_000)).toBe('3h 5m');
  expect(formatDuration(59_999)).toBe('59s');
});

describe('freshnessState at the thresholds (warn after 26h, error after 50h)', () => {
  const thresholds = { warnAfterMs: 26 * HOUR, errorAfterMs: 50 * HOUR };
  test.each([
    ['no age at all', 0, 'fresh'],
    ['exactly at the warning threshold', 26 * HOUR, 'fresh'],
    ['1 ms past the warning threshold', 26 * HOUR + 1, 'warn'],
    ['exactly at the error threshold', 50 * HOUR, 'warn'],
    ['1 ms past the error threshold', 50 * HOUR + 1, 'error'],
    ['a clock ahead of the load (negative age)', -5000, 'fresh'],
  ])('%s', (_case, age, state) => {
    expect(freshnessState(age, thresholds)).toBe(state);
  });

  test('never loaded (no age) is an error', () => {
    expect(freshnessState(null, thresholds)).toBe('error');
  });

  test('equal thresholds: at them fresh, past them an error, never a warning', () => {
    expect(freshnessState(HOUR, { warnAfterMs: HOUR, errorAfterMs: HOUR })).toBe('fresh');
    expect(freshnessState(HOUR + 1, { warnAfterMs: HOUR, errorAfterMs: HOUR })).toBe('error');
  });
});

describe('freshnessThresholds', () => {
  const project = (freshness: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'elt-freshness-'));
    writeFileSync(join(dir, 'elt.project.json'), JSON.stringify({ name: 'p', sources: [{ location: 'data/', format: 'csv' }], freshness }));
    return dir;
  };

  test('defaults to 26h / 50h, judged on the last load', () => {
    expect(freshnessThresholds({})).toEqual({ warnAfter: '26h', errorAfter: '50h', warnAfterMs: 26 * HOUR, errorAfterMs: 50 * HOUR, by: 'load' });
  });

  // the project file is read once, by readProject; its freshness key resolves like any setting
  const fromProject = (dir: string, flags: Record<string, string> = {}) => {
    const values = resolveSettings(['warnAfter', 'errorAfter', 'freshnessBy'], { flags, project: readProject(dir).settings });
    return freshnessThresholds({ warnAfter: values.warnAfter, errorAfter: values.errorAfter, by: values.freshnessBy });
  };

  test('the project config overrides the defaults and the flags override the config', () => {
    const dir = project({ warnAfter: '2h', errorAfter: '1d', by: 'event' });
    expect(fromProject(dir)).toMatchObject({ warnAfterMs: 2 * HOUR, errorAfterMs: 24 * HOUR, by: 'event' });
    expect(fromProject(dir, { 'warn-after': '90m', by: 'load' })).toMatchObject({
      warnAfterMs: 1.5 * HOUR,
      errorAfterMs: 24 * HOUR,
      by: 'load',
    });
  });

  test('a bad config value, a warning after the error, or an unknown --by is a usage error', () => {
    expect(() => fromProject(project({ warnAfter: 26 }))).toThrow(
      expect.objectContaining({ exitCode: ExitCode.usage, message: expect.stringContaining('freshness.warnAfter') }),
    );
    expect(() => freshnessThresholds({ warnAfter: '3d', errorAfter: '2d' })).toThrow(expect.objectContaining({ exitCode: ExitCode.usage }));
    expect(() => freshnessThresholds({ by: 'arrival' })).toThrow(expect.objectContaining({ exitCode: ExitCode.usage }));
  });
});
