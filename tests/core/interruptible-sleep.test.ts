import { getEventListeners } from 'node:events';
import { interruptibleSleep } from '../../core/interruptible-sleep';

// The pause between retries (a transient load failure, a broker that does not answer):
// it ends at its time, or as soon as an interrupt aborts the signal, and leaves nothing behind.

const elapsedMs = async (work: () => Promise<void>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

test('without a signal it waits the time asked', async () => {
  expect(await elapsedMs(() => interruptibleSleep(60))).toBeGreaterThanOrEqual(55);
});

test('an abort mid-wait ends it at once, and no listener stays on the signal', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 30);
  expect(await elapsedMs(() => interruptibleSleep(60_000, controller.signal))).toBeLessThan(1_000);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

test('a signal aborted before the call ends it at once (it never fires again)', async () => {
  const controller = new AbortController();
  controller.abort();
  expect(await elapsedMs(() => interruptibleSleep(60_000, controller.signal))).toBeLessThan(1_000);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

test('a time past what a timer holds (2^31 ms) still waits, not fires at once, until the abort', async () => {
  const controller = new AbortController();
  let done = false;
  const sleeping = interruptibleSleep(2 ** 40, controller.signal).then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(done).toBe(false);
  controller.abort();
  await sleeping;
  expect(done).toBe(true);
});

test('a negative or non-finite time asks for no wait', async () => {
  for (const ms of [-1, Number.NaN, Number.NEGATIVE_INFINITY]) expect(await elapsedMs(() => interruptibleSleep(ms))).toBeLessThan(500);
});
