import { ExitCode, type ExitCodeValue } from '../core/errors';
import type { Logger } from '../core/log';

/** Thrown (as an AbortSignal's reason) where work stops because the user interrupted it. */
export class InterruptedError extends Error {
  constructor(readonly signalName: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signalName}`);
    this.name = 'InterruptedError';
  }

  get exitCode(): ExitCodeValue {
    return this.signalName === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
  }
}

export interface InterruptWatch {
  /** aborted at the first SIGINT or SIGTERM, with an InterruptedError as its reason */
  signal: AbortSignal;
  dispose(): void;
}

/**
 * Ctrl-C (SIGINT) or SIGTERM: say so in one line and abort `signal`, so that
 * retries stop, no further step starts and queries in flight are cancelled (their
 * transactions roll back: nothing half-done is kept). A second signal exits at once.
 * `quiet`: the command ends on an interrupt by design (elt db), so nothing is said.
 */
export function watchInterrupts(log: Logger, options: { quiet?: boolean } = {}): InterruptWatch {
  const controller = new AbortController();
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
    const interrupt = new InterruptedError(name);
    if (controller.signal.aborted) {
      log.error(`${name} again: exiting at once`);
      process.exit(interrupt.exitCode);
    }
    if (!options.quiet) {
      const what = name === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)';
      log.warn(`${what}: stopping; nothing half-done is kept, and the next run picks up from here`);
    }
    controller.abort(interrupt);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
