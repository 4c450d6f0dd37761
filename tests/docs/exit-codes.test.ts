import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { proseLines, REPO } from '../helpers/markdown-files';

// docs/reference/exit-codes.md explains each exit code in words: its table must list exactly the
// codes core/errors.ts declares, each once, in order (a code added, renumbered or dropped there
// fails here until the page says what it means).

/** The codes of the first column of a Markdown table whose header is `| code | meaning |`. */
function tableCodes(text: string): number[] {
  const lines = proseLines(text);
  const header = lines.findIndex((line) => /^\| code \| meaning \|$/.test(line.trim()));
  if (header < 0) return [];
  const rows = lines.slice(header + 2);
  const end = rows.findIndex((line) => !line.trim().startsWith('|'));
  return rows.slice(0, end < 0 ? undefined : end).map((line) => Number(/^\|\s*(\d+)\s*\|/.exec(line.trim())?.[1] ?? Number.NaN));
}

test('docs/reference/exit-codes.md lists exactly the exit codes of core/errors.ts, each once, in order', () => {
  const page = readFileSync(join(REPO, 'docs', 'reference', 'exit-codes.md'), 'utf8');
  expect(tableCodes(page)).toEqual(Object.values(ExitCode));
});

test('the check above can fail: a table missing a code, or with one too many, reads differently', () => {
  const table = (codes: number[]) => ['| code | meaning |', '| --- | --- |', ...codes.map((code) => `| ${code} | x |`), ''].join('\n');
  expect(tableCodes(table([0, 1, 2]))).toEqual([0, 1, 2]);
  expect(tableCodes(table([0, 2]))).not.toEqual([0, 1, 2]);
  expect(tableCodes('no table')).toEqual([]);
});
