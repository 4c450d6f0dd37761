import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Line } from '../../loader/stages/record-buffer';
import { SplitLines } from '../../loader/stages/split-lines';

async function split(chunks: (string | Buffer)[], maxLineBytes?: number): Promise<Line[]> {
  const lines: Line[] = [];
  await pipeline(
    Readable.from(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk))),
    new SplitLines(maxLineBytes),
    async (batches: AsyncIterable<Line[]>) => {
      for await (const batch of batches) lines.push(...batch);
    },
  );
  return lines.map((line) => ({ ...line, bytes: Buffer.from(line.bytes) }));
}

const texts = (lines: Line[]) => lines.map((line) => [line.no, line.bytes.toString()]);

test('LF line endings: one line per row, numbered from 1', async () => {
  expect(texts(await split(['a\nb\nc\n']))).toEqual([
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
  ]);
});

test('CRLF line endings are stripped like LF', async () => {
  expect(texts(await split(['a\r\nb\r\n']))).toEqual([
    [1, 'a'],
    [2, 'b'],
  ]);
});

test('a last line without a line ending is kept', async () => {
  expect(texts(await split(['a\nlast']))).toEqual([
    [1, 'a'],
    [2, 'last'],
  ]);
});

test('blank lines are skipped but still counted in line numbers', async () => {
  expect(texts(await split(['a\n\n\r\nb\n']))).toEqual([
    [1, 'a'],
    [4, 'b'],
  ]);
});

test('lines split across chunks, even inside a CRLF or a multi-byte character, are joined', async () => {
  const emoji = Buffer.from('x😀y\r\n');
  const chunks = [Buffer.from('he'), Buffer.from('llo\r'), Buffer.from('\nwor'), emoji.subarray(0, 3), emoji.subarray(3, 7), emoji.subarray(7)];
  expect(texts(await split(chunks))).toEqual([
    [1, 'hello'],
    [2, 'worx😀y'],
  ]);
});

test('a CR inside a line is kept: only the one before LF ends a line', async () => {
  expect(texts(await split(['a\rb\n']))).toEqual([[1, 'a\rb']]);
});

test('a line over the limit keeps only its start and is flagged with its real length', async () => {
  const lines = await split(['ok\n', 'x'.repeat(10), 'y'.repeat(10), '\nafter\n'], 8);
  expect(lines.map((l) => [l.no, l.bytes.toString(), l.truncatedFrom])).toEqual([
    [1, 'ok', undefined],
    [2, 'xxxxxxxx', 20],
    [3, 'after', undefined],
  ]);
});

test('an empty input gives no lines', async () => {
  expect(await split([])).toEqual([]);
});
