import { createProgress } from '../../loader/progress';
import { fakeStream, recorder } from '../helpers/recording-log';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('on a terminal, progress is one line redrawn in place with objects, MB, rows and rows/s', async () => {
  const { log, lines } = recorder();
  const { stream, written } = fakeStream(true);
  const progress = createProgress({ log, totalObjects: 2, totalBytes: 4 * 1024 * 1024, stream, intervalMs: 10 });
  progress.bytesRead(2 * 1024 * 1024);
  progress.objectDone(1000);
  await wait(40);
  progress.log.info('a log line clears the progress line first');
  progress.stop();
  const drawn = written.filter((text) => text.startsWith('\r\x1b[K['));
  expect(drawn.length).toBeGreaterThan(0);
  expect(drawn[0]?.slice(4)).toMatch(/^\[1\/2 objects\] 2\.0 of 4\.0 MB, 1,000 rows, [\d,]+ rows\/s, [\d.]+ MB\/s$/);
  expect(lines).toEqual(['info a log line clears the progress line first']);
  expect(written.at(-1)).toBe('\r\x1b[K');
});

test('without a terminal, progress is a plain log line every interval, and nothing is redrawn', async () => {
  const { log, lines } = recorder();
  const { stream, written } = fakeStream(false);
  const progress = createProgress({ log, totalObjects: 3, totalBytes: 1024 * 1024, stream, intervalMs: 10 });
  progress.objectDone(5);
  await wait(40);
  progress.stop();
  expect(written).toEqual([]);
  expect(lines.length).toBeGreaterThan(0);
  expect(lines[0]).toMatch(/^info progress: \[1\/3 objects\] 0\.0 of 1\.0 MB, 5 rows, /);
});
