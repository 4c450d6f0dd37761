#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { CommanderError } from 'commander';
import type { Io } from './command';
import { COMMANDS, findCommand } from './commands';
import { asDatabaseFailure } from '../core/database-errors';
import { closestName } from '../core/closest-name';
import { describeError, EltError, ExitCode, type ExitCodeValue } from '../core/errors';
import { programParts } from './help';
import { InterruptedError, watchInterrupts } from './interrupt';
import { createLogger } from '../core/log';
import { packageVersion } from '../core/package-root';
import { findProjectHome } from '../pipeline/project-home';
import { SETTINGS } from '../core/settings/declared-settings';
import { resolveSetting, resolveSettings } from '../core/settings/resolve-settings';
import { buildProgram, GLOBAL_SETTINGS, usageError } from './program';
import { exitWhenWritten, OutputClosedError, outputError, watchOutputErrors } from './process-output';

/**
 * Takes a global flag (`--log-format <format>`, `--project-dir <dir>`) out of the arguments,
 * wherever it is: the logger and the project's home exist before the command line is parsed.
 */
function takeGlobal(argv: string[], flag: string): { given?: string; args: string[] } {
  const option = `--${flag}`;
  const args: string[] = [];
  let given: string | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === option) {
      given = argv[index + 1] ?? '';
      index += 1;
    } else if (arg.startsWith(`${option}=`)) {
      given = arg.slice(option.length + 1);
    } else {
      args.push(arg);
    }
  }
  return { given, args };
}

/** `elt help <name>` for a command that does not exist: the same one line as `elt <name>`. */
function unknownCommand(name: string): EltError {
  const near = closestName(
    name,
    COMMANDS.map((command) => command.name),
  );
  const shown = name.length > 60 ? `${name.slice(0, 60)}...` : name;
  return new EltError(
    `unknown command ${JSON.stringify(shown).replace(/^"|"$/g, "'")}${near ? ` (did you mean ${near}?)` : ''} (see elt --help)`,
    ExitCode.usage,
  );
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 * Every failure becomes one line on stderr; ELT_DEBUG=1 adds the stack.
 *
 * @example process.exitCode = await main(['run', '--source', 'lake/']);
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCodeValue> {
  const logFormat = takeGlobal(argv, SETTINGS.logFormat.flag);
  const { given: projectDirGiven, args } = takeGlobal(logFormat.args, SETTINGS.projectDir.flag);
  let badGlobal: unknown;
  let format: 'human' | 'json' = 'human';
  let projectDir: string | undefined;
  try {
    format = resolveSetting('logFormat', { flags: { 'log-format': logFormat.given }, env });
    projectDir = resolveSetting('projectDir', { flags: { 'project-dir': projectDirGiven }, env });
  } catch (err) {
    badGlobal = err;
  }
  const debug = resolveSetting('debug', { env });
  const [name] = args;
  // one id per command, on every JSON log line and in the run artifact; lines outside a step name the command
  const invocationId = randomUUID();
  const log = createLogger(process.stderr, { format, context: { invocation_id: invocationId, step: name } });
  const named = findCommand(name ?? '');
  // elt db ends on Ctrl-C by design: that is no interrupt to report
  const endsOnInterrupt = named?.endsOnInterrupt === true;
  const interrupts = watchInterrupts(log, { quiet: endsOnInterrupt });
  const io: Io = { env, stdout: process.stdout, log, signal: interrupts.signal, invocationId };
  try {
    if (badGlobal) throw badGlobal;
    // where .elt/ and out/ are: named, or found walking up from here (as git finds .git)
    io.home = findProjectHome(process.cwd(), projectDir).dir;
    const version = packageVersion();
    let code: ExitCodeValue = ExitCode.ok;
    const program = buildProgram(COMMANDS, {
      ...programParts(version),
      writeOut: (text) => process.stdout.write(text),
      run: async (command, options, positionals) => {
        // the variables every command reads are checked before it starts
        resolveSettings(GLOBAL_SETTINGS, { env });
        code = await command.run(options, io, positionals);
      },
    });
    if (args.length === 0) {
      process.stdout.write(program.helpInformation());
      return ExitCode.usage;
    }
    if (name === 'help' && args[1] !== undefined && !findCommand(args[1])) throw unknownCommand(args[1]);
    try {
      await program.parseAsync(args, { from: 'user' });
    } catch (err) {
      if (!(err instanceof CommanderError)) throw err;
      const usage = usageError(err, named?.name);
      if (usage) throw usage;
      return ExitCode.ok; // --help, help, --version
    }
    // a step that saw the interrupt too late to stop still ends the run as interrupted
    return (endsOnInterrupt ? undefined : interrupted(io.signal)) ?? code;
  } catch (caught) {
    // the database failing under a command (outside a named step): exit 3, one line
    // (stdout's own EPIPE is the reader leaving, not the database's socket)
    const err = caught instanceof OutputClosedError ? caught : (asDatabaseFailure(caught, `elt ${name ?? ''}`.trim()) ?? caught);
    const stopped = endsOnInterrupt ? undefined : interrupted(io.signal);
    if (stopped !== undefined) {
      // what failed was the work the interrupt cancelled: the interrupt was already said
      if (debug) process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      return stopped;
    }
    if (err instanceof OutputClosedError) {
      // the reader of stdout has gone (`| head`): a normal end, said nowhere
      if (err.readerLeft) return ExitCode.ok;
      log.error(`${describeError(err)}`);
      return ExitCode.unexpected;
    }
    if (err instanceof EltError) {
      log.error(err.message);
      if (debug) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    log.error(`unexpected: ${describeError(err)}${debug ? '' : ' (set ELT_DEBUG=1 for the stack)'}`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return ExitCode.unexpected;
  } finally {
    interrupts.dispose();
  }
}

/** The exit code of the interrupt that stopped the command, if one did. */
function interrupted(signal: AbortSignal): ExitCodeValue | undefined {
  return signal.aborted && signal.reason instanceof InterruptedError ? signal.reason.exitCode : undefined;
}

/**
 * Runs the CLI as the program (bin/elt.js, npm run elt): exits with main's code once
 * stdout and stderr are written out; a reader that has gone ends it quietly.
 */
export function runProgram(argv: string[]): void {
  watchOutputErrors();
  main(argv).then(
    (code) => {
      // a write error that the command did not see (not a reader that left: EPIPE) loses output
      const failure = outputError();
      if (failure && !failure.readerLeft && code === ExitCode.ok) {
        process.stderr.write(`elt: error: ${describeError(failure)}\n`);
        return exitWhenWritten(ExitCode.unexpected);
      }
      return exitWhenWritten(code);
    },
    () => exitWhenWritten(ExitCode.unexpected),
  );
}

if (require.main === module) runProgram(process.argv.slice(2));
