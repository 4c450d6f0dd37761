import type { ParseArgsConfig } from 'node:util';
import type { ExitCodeValue } from '../core/errors';
import type { Logger } from '../core/log';

/** Parsed flags of one command. */
export type Options = Record<string, string | boolean | string[] | undefined>;

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

/** One `elt` command: its flags, its help, and what it does. */
export interface Command {
  name: string;
  /** one line, for `elt --help` */
  summary: string;
  usage: string;
  /** flags as node:util parseArgs takes them (--help is added for every command) */
  options: ParseArgsConfig['options'];
  /** the flags' help lines */
  optionHelp: string[];
  /** an example that works when pasted */
  example: string;
  /** true when the command takes arguments after its flags (e.g. model names) */
  positionals?: boolean;
  /** true when an interrupt is how the command normally ends (elt db): it is not reported as one */
  endsOnInterrupt?: boolean;
  run(options: Options, io: Io, positionals: string[]): Promise<ExitCodeValue>;
}
