import { Command as Program, CommanderError, Help, Option } from 'commander';
import { EltError, ExitCode } from '../core/errors';
import { SETTINGS, SETTING_KEYS, type SettingKey } from '../core/settings/declared-settings';
import { defaultShown, type Setting } from '../core/settings/setting';
import type { Command, CommandArgument, Options } from './command';

/**
 * The command line, derived from the commands and the settings they declare: commander
 * parses it (flags, arguments, "did you mean") and writes every --help; the values are
 * resolved and checked by core/settings when the command runs.
 */

/** Help is this wide whatever the terminal, so that it reads (and compares) the same everywhere. */
const HELP_WIDTH = 100;

const declared = (key: SettingKey): Setting<unknown> => SETTINGS[key] as Setting<unknown>;

/** The settings every command takes: on the command line, --log-format and --project-dir (main takes them out of the arguments first). */
export const GLOBAL_SETTINGS: readonly SettingKey[] = SETTING_KEYS.filter((key) => declared(key).global === true);

/**
 * `help [env X / Y, project key, default Z]`: one setting's line of help, from its
 * declaration (a variable without a flag is listed by name: its line leaves it out).
 */
export function settingDescription(setting: Setting<unknown>): string {
  const shown = setting.value.isSwitch && setting.default === false ? undefined : defaultShown(setting);
  const switchOn = setting.value.isSwitch ? '=1' : '';
  const where = [
    setting.env?.length && setting.flag !== undefined ? `env ${setting.env.map((name) => `${name}${switchOn}`).join(' / ')}` : undefined,
    setting.projectKey ? `project ${setting.projectKey}` : undefined,
    shown === undefined ? undefined : setting.defaultText === undefined ? `default ${shown}` : `default: ${shown}`,
  ].filter((part) => part !== undefined);
  return where.length ? `${setting.help} [${where.join(', ')}]` : setting.help;
}

/** Rows of a term and its description, aligned and wrapped as commander lays out options. */
export type FormatItems = (rows: readonly (readonly [string, string])[]) => string;

function itemFormatter(helper: Help): FormatItems {
  return (rows) => {
    const width = Math.max(...rows.map(([term]) => term.length));
    return rows.map(([term, description]) => helper.formatItem(term, width, description, helper)).join('\n');
  };
}

/** The variables `settings` read that no flag sets, as help rows. */
export function variableRows(settings: readonly Setting<unknown>[]): [string, string][] {
  return settings.filter((setting) => setting.flag === undefined).map((setting) => [(setting.env ?? []).join(' / '), settingDescription(setting)]);
}

function optionOf(setting: Setting<unknown>): Option {
  const option = new Option(`--${setting.flag}${setting.placeholder ? ` ${setting.placeholder}` : ''}`, settingDescription(setting));
  if (setting.value.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return option;
}

/** The lines after a command's options: its notes, the variables it reads that have no flag, its example. */
function commandEpilogue(command: Command, format: FormatItems): string {
  const variables = variableRows(command.settings.map(declared));
  const sections = [
    command.notes?.length ? command.notes.join('\n') : undefined,
    variables.length ? `Environment:\n${format(variables)}` : undefined,
    `Example:\n  ${command.example}`,
  ];
  return `${sections.filter((section) => section !== undefined).join('\n\n')}\n`;
}

export interface ProgramParts {
  /** the text before the program's own help (name, version, what it is) */
  header: string;
  /** the text after it: variables, exit codes, examples */
  epilogue(format: FormatItems): string;
  version: string;
  /** where help and the version go */
  writeOut(text: string): void;
  /** runs the command a command line names, with its flags by name and its arguments */
  run(command: Command, options: Options, args: string[]): Promise<void>;
}

/** The flags given on the command line (not commander's defaults), by flag name: text, true, or a list. */
function givenOptions(sub: Program): Options {
  const options: Record<string, string | boolean | readonly string[]> = {};
  for (const option of sub.options) {
    const name = option.attributeName();
    if (sub.getOptionValueSource(name) !== 'cli' || option.long === undefined) continue;
    options[option.long.slice(2)] = option.negate ? true : (sub.getOptionValue(name) as string | boolean | string[]);
  }
  return options;
}

/** elt's command line: every command with the flags of the settings it declares, and their help. */
export function buildProgram(commands: readonly Command[], parts: ProgramParts): Program {
  const program = new Program('elt');
  program
    .configureOutput({ writeOut: parts.writeOut, writeErr: () => undefined, outputError: () => undefined })
    .configureHelp({
      helpWidth: HELP_WIDTH,
      showGlobalOptions: true,
      formatHelp: (cmd, helper) => {
        const text = Help.prototype.formatHelp.call(helper, cmd, helper);
        const command = commands.find((candidate) => candidate.name === cmd.name() && cmd.parent !== null);
        if (!command) return `${parts.header}\n\n${text}\n${parts.epilogue(itemFormatter(helper))}`;
        return `elt ${command.name}: ${command.summary}\n\n${text}\n${commandEpilogue(command, itemFormatter(helper))}`;
      },
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', "show a command's help")
    .version(parts.version, '-v, --version', 'print the version')
    .addOption(optionOf(SETTINGS.logFormat))
    .addOption(optionOf(SETTINGS.projectDir));
  for (const command of commands) {
    const sub = program.command(command.name).summary(command.summary);
    for (const key of command.settings) if (declared(key).flag !== undefined) sub.addOption(optionOf(declared(key)));
    const commandArguments: readonly CommandArgument[] =
      command.argument === undefined ? [] : 'name' in command.argument ? [command.argument] : command.argument;
    for (const { name, required, help } of commandArguments) sub.argument(required ? `<${name}>` : `[${name}]`, help);
    // an optional argument not given is undefined: left out
    const given = () => (sub.processedArgs.flat() as (string | undefined)[]).filter((arg): arg is string => arg !== undefined);
    sub.action(() => parts.run(command, givenOptions(sub), given()));
  }
  return program;
}

/** Control characters of a message (what a hostile argument may carry) as escapes; at most 300 characters. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- what is matched is exactly the control characters
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => JSON.stringify(char).slice(1, -1));
  return flat.length > 300 ? `${flat.slice(0, 300)}...` : flat;
}

/**
 * commander's error (unknown command or flag, missing value, extra argument) as elt's
 * one line: `unknown option '--sauce' (did you mean --source?) (see elt load --help)`.
 * Undefined for help and the version, which are no errors.
 */
export function usageError(err: CommanderError, commandName: string | undefined): EltError | undefined {
  if (err.exitCode === 0) return undefined;
  const message = err.message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\(Did you mean/, '(did you mean');
  return new EltError(`${oneLine(message)} (see elt ${commandName ? `${commandName} ` : ''}--help)`, ExitCode.usage);
}

/**
 * The command, flags and arguments of a command line, as `elt` would parse them, without
 * running anything (for checks of command lines written elsewhere: schedules, docs).
 * A line elt would refuse throws its usage error.
 */
export function parseCommandLine(commands: readonly Command[], argv: string[]): { command: Command; options: Options; args: string[] } {
  let parsed: { command: Command; options: Options; args: string[] } | undefined;
  const program = buildProgram(commands, {
    header: '',
    epilogue: () => '',
    version: '0',
    writeOut: () => undefined,
    run: async (command, options, args) => {
      parsed = { command, options, args };
    },
  });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw usageError(err, commands.find((command) => command.name === argv[0])?.name) ?? err;
    throw err;
  }
  if (!parsed) throw new EltError(`no command in: elt ${argv.join(' ')}`, ExitCode.usage);
  return parsed;
}
