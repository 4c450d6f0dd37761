import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTING_KEYS, SETTINGS } from '../../core/settings/declared-settings';
import { defaultShown, type Setting } from '../../core/settings/setting';
import { SETTINGS_PAGE_PATH, settingsTable, TABLE_END, TABLE_START, withTable } from '../../cli/settings-table';

// The configuration table of docs/reference/settings.md is generated from the declarations: it
// must be the generated one, listing exactly the settings a variable or the project file sets, with their defaults.

const PAGE = readFileSync(join(__dirname, '..', '..', SETTINGS_PAGE_PATH), 'utf8');

test('docs/reference/settings.md holds the settings table as generated from the declarations (npx tsx cli/settings-table.ts --write)', () => {
  expect(PAGE.indexOf(TABLE_START)).toBeGreaterThan(0);
  expect(PAGE.indexOf(TABLE_END)).toBeGreaterThan(PAGE.indexOf(TABLE_START));
  expect(withTable(PAGE)).toBe(PAGE);
});

test('the table lists exactly the settings a variable or elt.project.json sets, each with its declared default', () => {
  const rows = settingsTable()
    .split('\n')
    .slice(2)
    .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| |`| \|$/g, '')));
  const settable = SETTING_KEYS.map((key) => SETTINGS[key] as Setting<unknown>).filter((setting) => setting.env?.length || setting.projectKey);
  expect(rows).toHaveLength(settable.length);
  settable.forEach((setting, index) => {
    const [flag, env, projectKey, shown] = rows[index] as string[];
    expect([flag, env, projectKey, shown]).toEqual([
      setting.flag ? `--${setting.flag}` : '',
      (setting.env ?? []).map((name) => (setting.value.isSwitch ? `${name}=1` : name)).join(', '),
      setting.projectKey ?? '',
      defaultShown(setting) ?? '',
    ]);
  });
});
