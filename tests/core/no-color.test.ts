import { createLogger, wantsColor } from '../../core/log';

/** A stream that says it is a terminal and keeps what is written to it. */
function terminal(): NodeJS.WritableStream & { text: string } {
  const stream = { isTTY: true, text: '', write: (chunk: string) => ((stream.text += chunk), true) };
  return stream as unknown as NodeJS.WritableStream & { text: string };
}

test('NO_COLOR set but empty leaves colours on a terminal (no-color.org: only a non-empty value disables them)', () => {
  expect(wantsColor(terminal(), { NO_COLOR: '' })).toBe(true);
});

test('NO_COLOR=1 turns colours off on a terminal', () => {
  expect(wantsColor(terminal(), { NO_COLOR: '1' })).toBe(false);
});

test('without NO_COLOR a terminal gets colours, a pipe and TERM=dumb do not', () => {
  expect(wantsColor(terminal(), {})).toBe(true);
  expect(wantsColor(terminal(), { TERM: 'dumb' })).toBe(false);
  expect(wantsColor({ write: () => true } as unknown as NodeJS.WritableStream, {})).toBe(false);
});

test('a logger on a terminal colours the warning word unless told not to', () => {
  const coloured = terminal();
  createLogger(coloured, { color: true }).warn('w');
  expect(coloured.text).toBe('elt: \x1b[33mwarning: \x1b[0mw\n');
  const plain = terminal();
  createLogger(plain, { color: false }).warn('w');
  expect(plain.text).toBe('elt: warning: w\n');
});
