import { describeError, EltError, ExitCode } from '../../core/errors';
import type { Logger } from '../../core/log';
import { interruptibleSleep } from '../../core/interruptible-sleep';

/** The first pause after a failed request to the broker; it doubles up to MAX_PAUSE_MS. */
const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 2000;

/**
 * How long a stream consumer rides out a broker that does not answer (restarting,
 * recovering its store, the network down): every request that fails is tried again,
 * after a pause, until the broker has not answered for `boundMs` in a row; then an
 * EltError with exit code 8. An answer ends the outage. An EltError (the stream gone)
 * is never tried again.
 */
export class BrokerOutage {
  /** when the current run of failures began (performance.now()), undefined while the broker answers */
  private since: number | undefined;
  private failures = 0;

  constructor(
    private readonly uri: string,
    private readonly boundMs: number,
    private readonly log: Logger,
  ) {}

  /** The broker answered: the outage, if any, is over. */
  answered(): void {
    if (this.since !== undefined && this.failures > 1) this.log.info(`${this.uri}: the NATS server answers again`);
    this.since = undefined;
    this.failures = 0;
  }

  /**
   * A request (`what`) failed with `err`: rethrows it when it is final (an EltError,
   * `signal` aborted, or no bound: a one-shot question such as `elt status`'s), throws exit 8 once the broker has not answered for longer than
   * the bound, else pauses (at most until `signal` aborts) so the caller tries again.
   */
  async failed(what: string, err: unknown, signal?: AbortSignal): Promise<void> {
    if (err instanceof EltError || signal?.aborted || this.boundMs <= 0) throw err;
    const now = performance.now();
    if (this.since === undefined) {
      this.since = now;
      this.log.warn(`${this.uri}: ${what} failed (${describeError(err)}); trying again for up to ${formatSeconds(this.boundMs)}`);
    }
    if (now - this.since >= this.boundMs) {
      throw new EltError(
        `${this.uri}: the NATS server has not answered for ${formatSeconds(now - this.since)} (${what}: ${describeError(err)}); giving up (--broker-wait-seconds)`,
        ExitCode.streamUnavailable,
        { cause: err },
      );
    }
    const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** this.failures, this.since + this.boundMs - now);
    this.failures += 1;
    await interruptibleSleep(pause, signal);
  }

  /** Runs `request` until it answers, within the bound (see `failed`). */
  async retry<T>(what: string, request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (;;) {
      try {
        const result = await request();
        this.answered();
        return result;
      } catch (err) {
        await this.failed(what, err, signal);
      }
    }
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
