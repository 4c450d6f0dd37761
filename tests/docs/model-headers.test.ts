import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { markdownFiles, REPO } from '../helpers/markdown-files';

// A docs page that quotes a file marks the quote `<!-- excerpt of: <path> -->` before its code
// block: every line of the block (but `...`, a cut) must be a line of that file, in order, so a
// quoted model header cannot go stale (the README once called user_performance a materialized_view
// after it had become incremental).

const MARKER = /^<!-- excerpt of: (\S+) -->$/;

interface Excerpt {
  page: string;
  of: string;
  lines: string[];
}

function excerpts(page: string): Excerpt[] {
  const lines = readFileSync(join(REPO, page), 'utf8').split('\n');
  return lines.flatMap((line, index) => {
    const marker = MARKER.exec(line);
    if (!marker || !lines[index + 1]?.startsWith('```')) return [];
    const end = lines.findIndex((candidate, at) => at > index + 1 && candidate.startsWith('```'));
    return [{ page, of: marker[1] as string, lines: lines.slice(index + 2, end) }];
  });
}

/** The excerpt's lines not found in `text` in order (each after the one before). */
function missingLines(excerpt: string[], text: string): string[] {
  const lines = text.split('\n');
  let at = 0;
  return excerpt
    .filter((line) => line.trim() !== '...')
    .filter((line) => {
      const found = lines.indexOf(line, at);
      if (found < 0) return true;
      at = found + 1;
      return false;
    });
}

const all = markdownFiles().flatMap(excerpts);

test('the model header quoted in docs/reference/model-headers.md is marked as an excerpt of its file', () => {
  expect(all.map(({ page, of }) => `${page}: ${of}`)).toContain('docs/reference/model-headers.md: models/marts/user_performance.sql');
});

test.each(all.map((excerpt) => [`${excerpt.page}: ${excerpt.of}`, excerpt] as const))(
  '%s: every quoted line is in the file, in order',
  (_, excerpt) => {
    expect(missingLines(excerpt.lines, readFileSync(join(REPO, excerpt.of), 'utf8'))).toEqual([]);
  },
);

test('the check can fail: a line the file does not hold, or lines out of order, are named', () => {
  expect(missingLines(['-- materialized: materialized_view'], '-- materialized: incremental\n')).toEqual(['-- materialized: materialized_view']);
  expect(missingLines(['b', '...', 'a'], 'a\nb\n')).toEqual(['a']);
});
