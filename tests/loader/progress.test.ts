import { createProgress } from '../../loader/progress';
import { fakeStream, recorder } from '../helpers/recording-log';

const MB = 1024 * 1024;

/** A clock the test moves: the progress reads it, fake timers fire its interval. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let at = 0;
  return {
    now: () => at,
    advance: (ms) => {
      at += ms;
      jest.advanceTimersByTime(ms);
    },
  };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('on a terminal, progress is one line redrawn in place: objects, MB with a percentage, rows as they stream, rates and the time left', () => {
  const clock = fakeClock();
  const { log, lines } = recorder();
  const { stream, written } = fakeStream(true);
  const progress = createProgress({ log, totalObjects: 2, totalBytes: 4 * MB, stream, intervalMs: 100, now: clock.now });
  const attempt = progress.attempt();
  attempt.bytesRead(1 * MB);
  attempt.rowsStreamed(2500);
  clock.advance(1000);
  // nothing is committed yet: the rows streamed so far are counted all the same
  expect(written.at(-1)).toBe('\r\x1b[K[0/2 objects] 1.0 of 4.0 MB (25%), 2,500 rows, 2,500 rows/s, 1.0 MB/s, about 3s left');
  progress.log.info('a log line clears the progress line first');
  progress.stop();
  expect(lines).toEqual(['info a log line clears the progress line first']);
  expect(written.at(-1)).toBe('\r\x1b[K');
});

test('rows stream in before the object commits; a failed attempt takes its bytes and rows back, a finished object counts its size and rows', () => {
  const clock = fakeClock();
  const { log, events } = recorder({ json: true });
  const progress = createProgress({ log, totalObjects: 2, totalBytes: 4 * MB, stream: fakeStream(true).stream, intervalMs: 1000, now: clock.now });
  const first = progress.attempt();
  first.bytesRead(2 * MB);
  first.rowsStreamed(400);
  clock.advance(1000);
  first.end(); // failed: retried below
  const again = progress.attempt();
  again.bytesRead(1 * MB);
  again.rowsStreamed(100);
  clock.advance(1000);
  again.bytesRead(1 * MB);
  again.rowsStreamed(300);
  again.end();
  progress.objectDone(400, 2 * MB);
  clock.advance(1000);
  progress.objectDone(0, 2 * MB); // skipped: unchanged, never read
  clock.advance(1000);
  progress.stop();
  const figures = events.map((event) => [event.fields.objects_done, event.fields.bytes, event.fields.percent, event.fields.rows]);
  expect(figures).toEqual([
    [0, 2 * MB, 50, 400],
    [0, 1 * MB, 25, 100],
    [1, 2 * MB, 50, 400],
    [2, 4 * MB, 100, 400],
  ]);
});

test('in JSON, progress is an event with numbers (never a line redrawn, even on a terminal)', () => {
  const clock = fakeClock();
  const { log, events } = recorder({ json: true });
  const { stream, written } = fakeStream(true);
  const progress = createProgress({ log, totalObjects: 3, totalBytes: 3 * MB, stream, intervalMs: 1000, now: clock.now });
  const attempt = progress.attempt();
  attempt.bytesRead(1 * MB);
  attempt.rowsStreamed(10);
  clock.advance(2000);
  progress.stop();
  expect(written).toEqual([]);
  expect(events[0]).toEqual({
    level: 'info',
    message: 'progress: [0/3 objects] 1.0 of 3.0 MB (33%), 10 rows, 5 rows/s, 0.5 MB/s, about 4s left',
    fields: {
      event: 'progress',
      objects_done: 0,
      objects_total: 3,
      bytes: MB,
      bytes_total: 3 * MB,
      percent: 33.3,
      rows: 10,
      rows_per_s: 5,
      eta_s: 4,
    },
  });
});

test('without a terminal, progress is a plain log line every interval, and nothing is redrawn', () => {
  const clock = fakeClock();
  const { log, lines } = recorder();
  const { stream, written } = fakeStream(false);
  const progress = createProgress({ log, totalObjects: 3, totalBytes: MB, stream, intervalMs: 10_000, now: clock.now });
  progress.objectDone(5, 0);
  clock.advance(10_000);
  progress.stop();
  expect(written).toEqual([]);
  expect(lines).toEqual(['info progress: [1/3 objects] 0.0 of 1.0 MB (0%), 5 rows, 1 rows/s, 0.0 MB/s']);
});

test('the time left is said in minutes and hours when long, and not at all before anything was read', () => {
  const clock = fakeClock();
  const { log, lines } = recorder();
  const progress = createProgress({
    log,
    totalObjects: 1,
    totalBytes: 10_000 * MB,
    stream: fakeStream(false).stream,
    intervalMs: 60_000,
    now: clock.now,
  });
  clock.advance(60_000);
  const attempt = progress.attempt();
  attempt.bytesRead(100 * MB);
  clock.advance(60_000);
  progress.stop();
  expect(lines[0]).not.toMatch(/left/);
  // 100 MB in 120 s: 9,900 MB more take 11,880 s
  expect(lines[1]).toMatch(/, about 3h 18m left$/);
});
