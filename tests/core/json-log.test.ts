import { createLogger, forStep, timed } from '../../core/log';

/** A stream that keeps what is written to it. */
function sink(isTTY = false): NodeJS.WritableStream & { text: string } {
  const stream = { isTTY, text: '', write: (chunk: string) => ((stream.text += chunk), true) };
  return stream as unknown as NodeJS.WritableStream & { text: string };
}

const parsed = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test('a JSON log line carries the invocation id, the step and the fields of the event, beside time, level and message', () => {
  const out = sink();
  const log = createLogger(out, { format: 'json', context: { invocation_id: 'inv-1', step: 'run' } });
  log.info('loaded 3 rows', { object: 'file:///lake/a.tsv', rows: 3, rejected: 0, ms: 12 });
  log.warn('plain');
  expect(parsed(out.text)).toEqual([
    {
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      level: 'info',
      invocation_id: 'inv-1',
      step: 'run',
      message: 'loaded 3 rows',
      object: 'file:///lake/a.tsv',
      rows: 3,
      rejected: 0,
      ms: 12,
    },
    { time: expect.any(String), level: 'warn', invocation_id: 'inv-1', step: 'run', message: 'plain' },
  ]);
});

test('fields never overwrite time, level, message or the invocation id, and newlines in a message or field stay inside one JSON line', () => {
  const out = sink();
  const log = createLogger(out, { format: 'json', context: { invocation_id: 'inv-1', step: 'run' } });
  const forged = '\n{"level":"error","message":"forged"}\n';
  log.info(`line one${forged}`, { time: 'then', level: 'error', message: 'other', invocation_id: 'someone-else', object: forged, ms: Number.NaN });
  expect(out.text.split('\n').filter((line) => line !== '')).toHaveLength(1);
  const [line] = parsed(out.text);
  expect(line).toMatchObject({ level: 'info', invocation_id: 'inv-1', message: `line one${forged}`, object: forged, ms: null });
  expect(line?.time).not.toBe('then');
});

test('forStep names the step on every line of a logger, its events included; the JSON flag goes along', () => {
  const out = sink();
  const log = createLogger(out, { format: 'json', context: { invocation_id: 'inv-2', step: 'run' } });
  const load = forStep(log, 'load');
  expect(load.json).toBe(true);
  load.info('a');
  forStep(load, 'build').error('b', { model: 'marts.x' });
  log.info('c');
  expect(parsed(out.text).map((line) => [line.step, line.message, line.model])).toEqual([
    ['load', 'a', undefined],
    ['build', 'b', 'marts.x'],
    ['run', 'c', undefined],
  ]);
});

test('human lines stay as they were: the fields are for machines only', () => {
  const out = sink();
  const log = forStep(createLogger(out, { context: { invocation_id: 'inv-3', step: 'run' } }), 'load');
  expect(log.json).toBe(false);
  log.info('loaded 3 rows', { rows: 3 });
  log.warn('careful', { object: 'x' });
  expect(out.text).toBe('elt: loaded 3 rows\nelt: warning: careful\n');
});

test('timed logs "<step> done in" as an event of that step, with its ms', async () => {
  const out = sink();
  const log = createLogger(out, { format: 'json', context: { invocation_id: 'inv-4', step: 'run' } });
  await timed(log, 'build', async () => 1);
  expect(parsed(out.text)).toEqual([
    expect.objectContaining({ step: 'build', message: expect.stringMatching(/^build done in /), ms: expect.any(Number) }),
  ]);
});
