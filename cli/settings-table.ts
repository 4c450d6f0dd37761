/**
 * settings-table: the configuration table of docs/reference/settings.md, generated from the
 * declarations (core/settings/declared-settings.ts): every setting a variable or
 * elt.project.json can set, with its flag, default and the commands that read it.
 * tests/docs/settings-table.test.ts checks the page holds exactly this table.
 *
 *   npx tsx cli/settings-table.ts            # print it
 *   npx tsx cli/settings-table.ts --write     # replace it in docs/reference/settings.md
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from './commands';
import { SETTING_KEYS, SETTINGS, type SettingKey } from '../core/settings/declared-settings';
import { defaultShown, type Setting } from '../core/settings/setting';

/** The page holding the table, from the repository's root. */
export const SETTINGS_PAGE_PATH = join('docs', 'reference', 'settings.md');

export const TABLE_START = '<!-- settings table: generated from core/settings/declared-settings.ts by `npx tsx cli/settings-table.ts --write` -->';
export const TABLE_END = '<!-- end of the settings table -->';

const cell = (text: string): string => text.replace(/\|/g, '\\|');
const code = (text: string): string => `\`${text}\``;

/** The commands that read a setting: every one for a global setting, else those that list it. */
function readers(key: SettingKey): string {
  const setting = SETTINGS[key] as Setting<unknown>;
  if (setting.global) return 'all';
  return COMMANDS.filter((command) => command.settings.includes(key))
    .map((command) => command.name)
    .join(', ');
}

/** The settings a variable or the project file sets, as a Markdown table. */
export function settingsTable(): string {
  const rows = SETTING_KEYS.filter((key) => {
    const setting = SETTINGS[key] as Setting<unknown>;
    return (setting.env?.length ?? 0) > 0 || setting.projectKey !== undefined;
  }).map((key) => {
    const setting = SETTINGS[key] as Setting<unknown>;
    const shown = defaultShown(setting);
    return [
      setting.flag ? code(`--${setting.flag}`) : '',
      (setting.env ?? []).map((name) => code(setting.value.isSwitch ? `${name}=1` : name)).join(', '),
      setting.projectKey ? code(setting.projectKey) : '',
      shown === undefined ? '' : setting.defaultText === undefined ? code(shown) : shown,
      readers(key),
      setting.help,
    ];
  });
  const header = ['flag', 'environment', 'elt.project.json', 'default', 'commands', 'meaning'];
  return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.map(cell).join(' | ')} |`).join('\n');
}

/** The settings page with its table replaced by the generated one. */
export function withTable(page: string): string {
  const start = page.indexOf(TABLE_START);
  const end = page.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${SETTINGS_PAGE_PATH} has no settings table between "${TABLE_START}" and "${TABLE_END}"`);
  return `${page.slice(0, start + TABLE_START.length)}\n${settingsTable()}\n${page.slice(end)}`;
}

if (require.main === module) {
  const pagePath = join(__dirname, '..', SETTINGS_PAGE_PATH);
  if (process.argv.includes('--write')) writeFileSync(pagePath, withTable(readFileSync(pagePath, 'utf8')));
  else process.stdout.write(`${settingsTable()}\n`);
}
