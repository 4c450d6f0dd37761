import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { readProject } from '../../pipeline/project';

// elt.project.json is read once, as a boundary: whatever sits at that path (a huge file,
// a link, a FIFO nobody writes to) is refused in bounded time and memory, in one line, exit 2.

const CONFIG = { name: 'p', sources: [{ location: 'data/', format: 'csv' }] };
const folder = (content?: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'elt-project-'));
  if (content !== undefined) writeFileSync(join(dir, 'elt.project.json'), content);
  return dir;
};
const usage = (pattern: RegExp) => expect.objectContaining({ exitCode: ExitCode.usage, message: expect.stringMatching(pattern) });

test('the settings of the file come with the project, checked', () => {
  const project = readProject(folder(JSON.stringify({ ...CONFIG, timeZone: 'Europe/Berlin', freshness: { errorAfter: '3d' } })));
  expect(project.settings?.values).toEqual({ timeZone: 'Europe/Berlin', errorAfter: '3d' });
  expect(() => readProject(folder(JSON.stringify({ ...CONFIG, sessionGapMinutes: -1 })))).toThrow(
    usage(/elt\.project\.json: sessionGapMinutes must be/),
  );
  expect(() => readProject(folder(JSON.stringify({ ...CONFIG, timezone: 'UTC' })))).toThrow(
    usage(/unknown key "timezone" \(did you mean "timeZone"\?\)/),
  );
});

test('a file over 1 MiB is refused unread', () => {
  const big = JSON.stringify({ ...CONFIG, pad: 'x'.repeat(1024 * 1024) });
  expect(() => readProject(folder(big))).toThrow(usage(/elt\.project\.json: \d+ bytes, more than the 1048576 expected/));
});

test('a link, a FIFO or a folder in its place is refused at once', () => {
  const linked = folder();
  const target = join(folder(JSON.stringify(CONFIG)), 'elt.project.json');
  symlinkSync(target, join(linked, 'elt.project.json'));
  expect(() => readProject(linked)).toThrow(usage(/refusing .*elt\.project\.json/));

  const fifo = folder();
  execFileSync('mkfifo', [join(fifo, 'elt.project.json')]);
  const started = Date.now();
  expect(() => readProject(fifo)).toThrow(usage(/refusing .*elt\.project\.json: a FIFO/));
  expect(Date.now() - started).toBeLessThan(5000);

  const dir = folder();
  mkdirSync(join(dir, 'elt.project.json'));
  expect(() => readProject(dir)).toThrow(usage(/refusing .*elt\.project\.json: a folder/));
});

test('JSON that is not an object of settings', () => {
  expect(() => readProject(folder('{"name": '))).toThrow(usage(/elt\.project\.json is not valid JSON/));
  expect(() => readProject(folder('[1, 2]'))).toThrow(usage(/must hold one JSON object/));
});
