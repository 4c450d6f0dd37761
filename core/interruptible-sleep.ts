/** The longest one Node timer waits: a longer delay would fire at once (with a warning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits `ms` (none when it is not a positive number), or less: it ends as soon as
 * `signal` aborts, at once when it already has. Nothing stays on the signal after.
 * What retries pause with (a transient load failure, a broker that does not answer).
 */
export function interruptibleSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || !(ms > 0)) {
      resolve();
      return;
    }
    const end = performance.now() + ms;
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    // a time past one timer's reach is waited in several
    const arm = () => {
      const left = end - performance.now();
      if (left <= 0) done();
      else timer = setTimeout(left > MAX_TIMER_MS ? arm : done, Math.min(left, MAX_TIMER_MS));
    };
    signal?.addEventListener('abort', done, { once: true });
    arm();
  });
}
