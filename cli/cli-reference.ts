/**
 * cli-reference: docs/reference/cli.md, generated from what the command line is made of:
 * the commands (cli/commands/: summary, arguments, notes, example, the settings each reads)
 * and the settings' declarations (core/settings/declared-settings.ts: flag, variables,
 * project-file key, default, help), as cli/program.ts builds the parser and every --help
 * from them. tests/docs/cli-reference.test.ts checks the file is exactly this text.
 *
 *   npx tsx cli/cli-reference.ts            # print it
 *   npx tsx cli/cli-reference.ts --write     # write docs/reference/cli.md
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, CommandArgument } from './command';
import { COMMANDS } from './commands';
import { GLOBAL_SETTINGS } from './program';
import { SETTINGS, type SettingKey } from '../core/settings/declared-settings';
import { defaultShown, type Setting } from '../core/settings/setting';

/** Where the reference lives, from the repository's root. */
export const CLI_REFERENCE_PATH = join('docs', 'reference', 'cli.md');

const declared = (key: SettingKey): Setting<unknown> => SETTINGS[key] as Setting<unknown>;
const code = (text: string): string => `\`${text}\``;
/** Text for Markdown outside code: a `<word>` would read as an HTML tag. */
const prose = (text: string): string => text.replace(/<(?=[A-Za-z/!?])/g, '&lt;');
/** A table row: a `|` in a cell, code included, would end the cell. */
const row = (cells: readonly string[]): string => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;

/** A command's arguments, as commander declares them. */
function argumentsOf(command: Command): readonly CommandArgument[] {
  if (command.argument === undefined) return [];
  return 'name' in command.argument ? [command.argument] : command.argument;
}

/** `elt refresh [options] [mart...]`: the usage line commander prints. */
function usage(command: Command): string {
  const args = argumentsOf(command).map(({ name, required }) => (required ? `<${name}>` : `[${name}]`));
  return ['elt', command.name, '[options]', ...args].join(' ');
}

/** One setting as a table row: flag, variables, project-file key, default, meaning. */
function settingRow(setting: Setting<unknown>): string {
  const shown = setting.value.isSwitch && setting.default === false ? undefined : defaultShown(setting);
  return row([
    setting.flag ? code(`--${setting.flag}${setting.placeholder ? ` ${setting.placeholder}` : ''}`) : '',
    (setting.env ?? []).map((name) => code(setting.value.isSwitch ? `${name}=1` : name)).join(', '),
    setting.projectKey ? code(setting.projectKey) : '',
    shown === undefined ? '' : setting.defaultText === undefined ? code(shown) : prose(shown),
    prose(setting.help),
  ]);
}

const SETTINGS_HEADER = [row(['flag', 'environment', 'elt.project.json', 'default', 'meaning']), row(['---', '---', '---', '---', '---'])];

function commandSection(command: Command): string[] {
  const args = argumentsOf(command);
  const settings = command.settings.map(declared);
  return [
    `## elt ${command.name}`,
    '',
    `${prose(command.summary)}.`,
    '',
    '```',
    usage(command),
    '```',
    '',
    ...(args.length ? [row(['argument', 'meaning']), row(['---', '---']), ...args.map((arg) => row([code(arg.name), prose(arg.help)])), ''] : []),
    ...(settings.length ? [...SETTINGS_HEADER, ...settings.map(settingRow), ''] : ['No flags but the global ones.', '']),
    ...(command.notes ?? []).flatMap((note) => [prose(note), '']),
    'Example:',
    '',
    '```sh',
    command.example,
    '```',
    '',
  ];
}

/** The whole page. */
export function cliReference(commands: readonly Command[] = COMMANDS): string {
  const lines = [
    '# The CLI: every command and flag',
    '',
    '<!-- generated from cli/commands/ and core/settings/declared-settings.ts by `npx tsx cli/cli-reference.ts --write`: edit those, not this file -->',
    '',
    'From a checkout, `npm run elt -- <command>` runs the CLI from source right after `npm ci` (no build step);',
    'the package also installs an `elt` binary (`npx elt ...`). Every command answers `--help` with the same',
    'flags and an example; `elt --help` lists the commands. A flag beats its environment variable, which beats',
    '`elt.project.json`, which beats the default: [Settings](settings.md). What each exit code means:',
    '[Exit codes](exit-codes.md).',
    '',
    row(['command', 'what it does']),
    row(['---', '---']),
    ...commands.map((command) => row([`[${code(`elt ${command.name}`)}](#elt-${command.name})`, prose(command.summary)])),
    '',
    '## Every command',
    '',
    'Every command takes these, and `-h, --help` (its help) and `-v, --version` (the version):',
    '',
    ...SETTINGS_HEADER,
    ...GLOBAL_SETTINGS.map(declared).map(settingRow),
    '',
    ...commands.flatMap(commandSection),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

if (require.main === module) {
  if (process.argv.includes('--write')) writeFileSync(join(__dirname, '..', CLI_REFERENCE_PATH), cliReference());
  else process.stdout.write(cliReference());
}
