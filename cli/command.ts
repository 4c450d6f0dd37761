import type { ExitCodeValue } from '../core/errors';
import type { Logger } from '../core/log';
import type { SettingKey } from '../core/settings/declared-settings';
import type { ResolvedSettings } from '../core/settings/resolve-settings';
import type { Project } from '../pipeline/project';
import { commandInput } from './project';

/** Parsed flags of one command, by flag name (without dashes): text, true for a switch, a list for a repeatable flag. */
export type Options = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/** What a command talks to: the environment, stdout for data and summaries, a logger (stderr). */
export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  log: Logger;
  /** aborted when the user interrupts (Ctrl-C, SIGTERM): work stops at once, nothing half-done is kept */
  signal: AbortSignal;
  /** this command's id: on every JSON log line (invocation_id) and in the run artifact */
  invocationId?: string;
  /** the project's home (pipeline/project-home.ts): where `.elt/` and `out/` are; the current folder when unset */
  home?: string;
}

/** What a command takes after its flags. */
export interface CommandArgument {
  /** as help shows it: 'sql...', 'mart...' */
  name: string;
  required: boolean;
  help: string;
}

/**
 * One `elt` command: the declared settings it reads (core/settings), from which its
 * flags, their parsing and its --help follow (cli/program.ts), and what it does.
 */
export interface Command {
  name: string;
  /** one line, for `elt --help` */
  summary: string;
  /** the settings it reads, in the order its --help lists them */
  settings: readonly SettingKey[];
  /** what it takes after its flags: one argument, or several (only the last may be repeated: 'name...') */
  argument?: CommandArgument | readonly CommandArgument[];
  /** lines its --help adds after the options */
  notes?: readonly string[];
  /** an example that works when pasted */
  example: string;
  /** true when an interrupt is how the command normally ends (elt db): it is not reported as one */
  endsOnInterrupt?: boolean;
  /** resolves and checks every setting it reads (flags, environment, project file), then does its work */
  run(options: Options, io: Io, args: string[]): Promise<ExitCodeValue>;
}

/** What a command's work gets: its settings, each resolved and checked, and the project it works on. */
export interface CommandInput<K extends SettingKey> {
  settings: ResolvedSettings<K>;
  project: Project;
  /** the flags as given (for what depends on a flag being given, not on the value) */
  options: Options;
}

/**
 * A command from its declared settings and its work: run() resolves every setting first
 * (a bad value is a usage error before anything is touched), then calls `action`.
 */
export function defineCommand<K extends SettingKey>(
  spec: Omit<Command, 'run' | 'settings'> & {
    settings: readonly K[];
    action(input: CommandInput<K>, io: Io, args: string[]): Promise<ExitCodeValue>;
  },
): Command {
  const { action, ...command } = spec;
  return { ...command, run: (options, io, args) => action(commandInput(spec.settings, options, io.env), io, args) };
}
