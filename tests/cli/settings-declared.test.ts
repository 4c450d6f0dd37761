import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { COMMANDS } from '../../cli/commands';
import { commandHelp, globalHelp } from '../../cli/help';
import { GLOBAL_SETTINGS } from '../../cli/program';
import { SETTING_KEYS, SETTINGS } from '../../core/settings/declared-settings';
import type { Setting } from '../../core/settings/setting';

// Every flag, variable and default a user reads in --help comes from the declarations
// (core/settings/declared-settings.ts) through the commands' lists of settings: no help text
// may name a flag the command does not take, nor leave out one it takes (no drift possible).

const REPO = join(__dirname, '..', '..');
const declared = (key: (typeof SETTING_KEYS)[number]) => SETTINGS[key] as Setting<unknown>;
const GLOBAL_FLAGS = ['help', 'version', ...GLOBAL_SETTINGS.map(declared).flatMap((setting) => (setting.flag ? [setting.flag] : []))];
const ALL_FLAGS = new Set([...GLOBAL_FLAGS, ...SETTING_KEYS.flatMap((key) => declared(key).flag ?? [])]);

/** The flags a help lists as options: the terms at the start of its lines. */
const optionTerms = (help: string) => [...help.matchAll(/^ {2}(?:-[a-z], )?--([a-z0-9-]+)/gm)].map((match) => match[1] as string);

test.each(COMMANDS.map((command) => [command.name, command] as const))(
  'elt %s --help lists exactly the flags it declares, each variable it reads, and the global --log-format',
  (_name, command) => {
    const help = commandHelp(command);
    const flags = command.settings.map(declared).flatMap((setting) => (setting.flag ? [setting.flag] : []));
    expect(optionTerms(help).sort()).toEqual([...flags, ...GLOBAL_FLAGS].sort());
    for (const setting of command.settings.map(declared)) for (const name of setting.env ?? []) expect(help).toContain(name);
    // a variable in help is one the command reads (or one every command reads; elt docs puts its site under ELT_OUTPUT_DIR)
    const readable = new Set([...command.settings, ...GLOBAL_SETTINGS].flatMap((key) => declared(key).env ?? []));
    for (const [name] of help.matchAll(/\b(?:ELT|AWS)_[A-Z0-9_]+\b/g))
      expect([name, readable.has(name) || (name === 'ELT_OUTPUT_DIR' && command.name === 'docs')]).toEqual([name, true]);
    // any flag mentioned in prose is a real flag
    for (const [, flag] of help.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)) expect([flag, ALL_FLAGS.has(flag as string)]).toEqual([flag, true]);
    expect(help).toMatch(/^Usage: elt \S+ \[options\]/m);
  },
);

test('elt --help lists every command with its summary and every variable all commands read', () => {
  const help = globalHelp();
  for (const command of COMMANDS)
    expect(help).toMatch(new RegExp(`^ {2}${command.name} .*${command.summary.slice(0, 30).replace(/[()[\]+.*?]/g, '\\$&')}`, 'm'));
  for (const setting of GLOBAL_SETTINGS.map(declared)) for (const name of setting.env ?? []) expect(help).toContain(name);
  expect(optionTerms(help).sort()).toEqual([...GLOBAL_FLAGS].sort());
});

test('what the help said before no longer drifts: refresh is incremental, status takes --models, --log-format is everywhere', () => {
  const find = (name: string) => COMMANDS.find((command) => command.name === name) as (typeof COMMANDS)[number];
  expect(commandHelp(find('refresh'))).not.toMatch(/materialized marts \(concurrently/);
  expect(commandHelp(find('status'))).toMatch(/^ {2}--models <dir>/m);
  const unwrapped = (help: string) => help.replace(/\n {10,}/g, ' ');
  for (const command of COMMANDS)
    expect(unwrapped(commandHelp(command))).toMatch(/^ {2}--log-format <format> .*\[env ELT_LOG_FORMAT, default human\]/m);
});

test('each default in help is the declared one', () => {
  const help = commandHelp(COMMANDS.find((command) => command.name === 'run') as (typeof COMMANDS)[number]).replace(/\n\s+/g, ' ');
  for (const key of ['concurrency', 'maxRejectRatio', 'retries', 'maxGzipRatio', 'lockWaitSeconds', 'timeZone', 'sessionGapMinutes'] as const) {
    expect(help).toContain(`default ${String(SETTINGS[key].default)}]`);
  }
});

test('no module below the tests reads a variable of ours that is not declared', () => {
  const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: REPO, encoding: 'utf8' })
    .split('\n')
    .filter((file) => /^(core|db|loader|transform|pipeline|cli|chart|generator|observe)\//.test(file));
  const variables = new Set(SETTING_KEYS.flatMap((key) => declared(key).env ?? []));
  const undeclared = sources.flatMap((file) =>
    [...readFileSync(join(REPO, file), 'utf8').matchAll(/\bELT_[A-Z0-9_]+\b/g)]
      .map((match) => match[0])
      .filter((name) => !variables.has(name))
      .map((name) => `${file}: ${name}`),
  );
  expect(undeclared).toEqual([]);
  // and the variables are read through the declarations, not straight from the environment
  const direct = sources
    .filter((file) => !file.startsWith('core/settings/'))
    .flatMap((file) =>
      readFileSync(join(REPO, file), 'utf8')
        .split('\n')
        .filter((line) => /\benv(?:\.|\[['"])(?:ELT_|DATABASE_URL|NO_COLOR|AWS_(?!SDK_))/.test(line) && !/^\s*(?:\*|\/\/)/.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );
  expect(direct).toEqual([]);
});
