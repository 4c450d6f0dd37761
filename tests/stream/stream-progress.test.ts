import { fakeStream, recorder } from '../helpers/recording-log';
import { createStreamProgress, formatStreamProgress } from '../../loader/stream/stream-progress';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const URI = 'nats://127.0.0.1:4222/CLICKS';

test('the stream progress line says events/s, batches, events, rejects, position and lag (? while the broker has not said)', () => {
  expect(formatStreamProgress(URI, { eventsPerSec: 12345.6, batches: 3, rows: 15000, rejects: 2, position: 15002, lag: 1234567 })).toBe(
    `${URI}: 12,346 events/s, 3 batches, 15,000 events, 2 rejected; position 15002, lag 1,234,567`,
  );
  expect(formatStreamProgress(URI, { eventsPerSec: 0, batches: 0, rows: 0, rejects: 0, position: 0, lag: undefined })).toBe(
    `${URI}: 0 events/s, 0 batches, 0 events, 0 rejected; position 0, lag ?`,
  );
});

test("on a terminal, the stream's progress is one line redrawn in place, its lag from the broker's last sequence; a log line clears it first", async () => {
  const { log, lines } = recorder();
  const { stream, written } = fakeStream(true);
  const progress = createStreamProgress({ log, uri: URI, lastSequence: () => Promise.resolve(5000), stream, intervalMs: 10 });
  expect(progress.tty).toBe(true);
  progress.update({ batches: 2, rows: 1990, rejects: 10, position: 2000 });
  await wait(60);
  progress.log.info('marts refreshed');
  progress.stop();
  const drawn = written.filter((text) => text.startsWith(`\r\x1b[K${URI}`)).map((text) => text.slice(4));
  expect(drawn.length).toBeGreaterThan(1);
  expect(drawn.at(-1)).toMatch(/: [\d,]+ events\/s, 2 batches, 1,990 events, 10 rejected; position 2000, lag 3,000$/);
  expect(lines).toEqual(['info marts refreshed']);
  expect(written.at(-1)).toBe('\r\x1b[K');
});

test('on a terminal, a broker that does not answer makes the lag unknown (?), not an error', async () => {
  const { log } = recorder();
  const { stream, written } = fakeStream(true);
  const progress = createStreamProgress({ log, uri: URI, lastSequence: () => Promise.reject(new Error('no broker')), stream, intervalMs: 10 });
  progress.update({ batches: 1, rows: 5, rejects: 0, position: 5 });
  await wait(40);
  progress.stop();
  expect(written.filter((text) => text.startsWith('\r\x1b[Knats')).at(-1)).toMatch(/position 5, lag \?$/);
});

test('without a terminal, nothing is drawn and the log is the one given (the consumer logs its periodic lines)', async () => {
  const { log } = recorder();
  const { stream, written } = fakeStream(false);
  const progress = createStreamProgress({ log, uri: URI, lastSequence: () => Promise.resolve(1), stream, intervalMs: 10 });
  progress.update({ batches: 1, rows: 1, rejects: 0, position: 1 });
  await wait(30);
  progress.stop();
  expect(progress.tty).toBe(false);
  expect(progress.log).toBe(log);
  expect(written).toEqual([]);
});

test('with JSON logs, a stream on a terminal draws no line in place (its periodic log lines are the events)', () => {
  const { log } = recorder({ json: true });
  const { stream, written } = fakeStream(true);
  const progress = createStreamProgress({ log, uri: URI, lastSequence: () => Promise.resolve(5), stream, intervalMs: 10 });
  progress.update({ batches: 1, rows: 5, rejects: 0, position: 5 });
  progress.stop();
  expect(progress.tty).toBe(false);
  expect(progress.log).toBe(log);
  expect(written).toEqual([]);
});
