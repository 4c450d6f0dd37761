#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Io, Options } from './command';
import { COMMANDS, findCommand } from './commands';
import { asDatabaseFailure } from '../core/database-errors';
import { describeError, EltError, ExitCode, type ExitCodeValue } from '../core/errors';
import { commandHelp, globalHelp } from './help';
import { InterruptedError, watchInterrupts } from './interrupt';
import { createLogger } from '../core/log';
import { packageVersion } from '../core/package-root';
import { findProjectHome } from '../pipeline/project-home';
import { exitWhenWritten, OutputClosedError, outputError, watchOutputErrors } from './process-output';

/** Takes the global `--log-format <human|json>` (anywhere in argv, or ELT_LOG_FORMAT) out of the arguments. */
function takeLogFormat(argv: string[], fallback: string | undefined): { format: string; args: string[] } {
  const args: string[] = [];
  let format = fallback || 'human';
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === '--log-format') {
      format = argv[index + 1] ?? '';
      index += 1;
    } else if (arg.startsWith('--log-format=')) {
      format = arg.slice('--log-format='.length);
    } else {
      args.push(arg);
    }
  }
  return { format, args };
}

/** Takes the global `--project-dir <dir>` (anywhere in argv) out of the arguments; ELT_PROJECT_DIR when absent. */
function takeProjectDir(argv: string[], fallback: string | undefined): { projectDir: string | undefined; args: string[] } {
  const args: string[] = [];
  let projectDir = fallback;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === '--project-dir') {
      projectDir = argv[index + 1] ?? '';
      if (projectDir === '') throw new EltError('--project-dir needs a folder', ExitCode.usage);
      index += 1;
    } else if (arg.startsWith('--project-dir=')) {
      projectDir = arg.slice('--project-dir='.length);
    } else {
      args.push(arg);
    }
  }
  return { projectDir, args };
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 * Every failure becomes one line on stderr; ELT_DEBUG=1 adds the stack.
 *
 * @example process.exitCode = await main(['run', '--source', 'lake/']);
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCodeValue> {
  const { format, args: withoutFormat } = takeLogFormat(argv, env.ELT_LOG_FORMAT);
  let projectDir: string | undefined;
  let args = withoutFormat;
  let projectDirError: unknown;
  try {
    ({ projectDir, args } = takeProjectDir(withoutFormat, env.ELT_PROJECT_DIR));
  } catch (err) {
    projectDirError = err;
  }
  const [name, ...rest] = args;
  // one id per command, on every JSON log line and in the run artifact; lines outside a step name the command
  const invocationId = randomUUID();
  const log = createLogger(process.stderr, { format: format === 'json' ? 'json' : 'human', context: { invocation_id: invocationId, step: name } });
  // elt db ends on Ctrl-C by design: that is no interrupt to report
  const endsOnInterrupt = findCommand(name ?? '')?.endsOnInterrupt === true;
  const interrupts = watchInterrupts(log, { quiet: endsOnInterrupt });
  const io: Io = { env, stdout: process.stdout, log, signal: interrupts.signal, invocationId };
  try {
    if (format !== 'json' && format !== 'human') {
      throw new EltError(`--log-format must be human or json, not "${format}"`, ExitCode.usage);
    }
    if (projectDirError !== undefined) throw projectDirError;
    // where .elt/ and out/ are: named, or found walking up from here (as git finds .git)
    io.home = findProjectHome(process.cwd(), projectDir).dir;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(globalHelp(packageVersion()));
      return name === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (name === '--version' || name === '-v') {
      process.stdout.write(`${packageVersion()}\n`);
      return ExitCode.ok;
    }
    const command = findCommand(name);
    if (!command) {
      const names = COMMANDS.map((known) => known.name).join(', ');
      throw new EltError(`unknown command "${name}" (commands: ${names}; see elt --help)`, ExitCode.usage);
    }
    let options: Options;
    let positionals: string[];
    try {
      ({ values: options, positionals } = parseArgs({
        args: rest,
        options: { ...command.options, help: { type: 'boolean', short: 'h' } },
        allowPositionals: command.positionals === true,
        strict: true,
      }));
    } catch (err) {
      // node's message may span lines: the error is one line
      throw new EltError(`${describeError(err).replace(/\s*\n\s*/g, ' ')} (see elt ${name} --help)`, ExitCode.usage);
    }
    if (options.help) {
      process.stdout.write(commandHelp(command));
      return ExitCode.ok;
    }
    const code = await command.run(options, io, positionals);
    // a step that saw the interrupt too late to stop still ends the run as interrupted
    return (endsOnInterrupt ? undefined : interrupted(io.signal)) ?? code;
  } catch (caught) {
    // the database failing under a command (outside a named step): exit 3, one line
    // (stdout's own EPIPE is the reader leaving, not the database's socket)
    const err = caught instanceof OutputClosedError ? caught : (asDatabaseFailure(caught, `elt ${name ?? ''}`.trim()) ?? caught);
    const stopped = endsOnInterrupt ? undefined : interrupted(io.signal);
    if (stopped !== undefined) {
      // what failed was the work the interrupt cancelled: the interrupt was already said
      if (env.ELT_DEBUG) process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
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
      if (env.ELT_DEBUG) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    log.error(`unexpected: ${describeError(err)}${env.ELT_DEBUG ? '' : ' (set ELT_DEBUG=1 for the stack)'}`);
    if (env.ELT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
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
