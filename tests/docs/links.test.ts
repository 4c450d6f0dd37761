import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { markdownFiles, proseLines, REPO } from '../helpers/markdown-files';

// Every relative link and every #anchor of README.md and docs/**/*.md must lead somewhere:
// a file or folder of the repository, and for an anchor a heading of that file, by GitHub's
// rule for heading ids (lower-case, spaces to '-', punctuation dropped, a repeated heading
// numbered -1, -2, ...). And every page is one hop from the README.

/** GitHub's id of a heading: its text without links' targets, lower-case, punctuation dropped, each space a '-'. */
function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown text defines: its headings' ids (repeats numbered) and explicit `<a id|name="...">`. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading) {
      const slug = headingSlug(heading[1] as string);
      const times = seen.get(slug) ?? 0;
      seen.set(slug, times + 1);
      anchors.add(times === 0 ? slug : `${slug}-${times}`);
    }
    for (const explicit of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(explicit[1] as string);
  }
  return anchors;
}

/** The link targets of a Markdown text (inline links and images), outside code; with the line each is on. */
function linksOf(text: string): { target: string; line: number }[] {
  return proseLines(text).flatMap((line, index) =>
    [...line.replace(/`+[^`]*`+/g, '').matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => ({
      target: match[1] as string,
      line: index + 1,
    })),
  );
}

/** What is wrong with one link of `file` (a path relative to the repository), or undefined when it resolves. */
function brokenLink(
  file: string,
  target: string,
  read: (path: string) => string = (path) => readFileSync(join(REPO, path), 'utf8'),
): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:: not ours to check
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const resolved = path === '' ? file : normalize(join(dirname(file), path));
  if (resolved.startsWith('..')) return `${target}: outside the repository`;
  const absolute = join(REPO, resolved);
  if (!existsSync(absolute)) return `${target}: no such file (${resolved})`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md') || statSync(absolute).isDirectory()) return `${target}: an anchor into ${resolved}, which is no Markdown page`;
  if (!anchorsOf(read(resolved)).has(anchor)) return `${target}: ${resolved} has no heading with the id "${anchor}"`;
  return undefined;
}

const files = markdownFiles();

test('the heading ids follow GitHub: lower-case, spaces to "-", punctuation and code marks dropped, repeats numbered', () => {
  expect(headingSlug('Why a row is what it is: `elt explain`')).toBe('why-a-row-is-what-it-is-elt-explain');
  expect(headingSlug('More sources, same engine: projects')).toBe('more-sources-same-engine-projects');
  expect(headingSlug('1. The lake files')).toBe('1-the-lake-files');
  expect(headingSlug('Model selection (`--select`, `--exclude`)')).toBe('model-selection---select---exclude');
  expect(headingSlug('elt_engine and [the contract](contract.md)')).toBe('elt_engine-and-the-contract');
  expect([...anchorsOf('# A\n\n## B\n\n```\n# not a heading\n```\n\n## B\n')]).toEqual(['a', 'b', 'b-1']);
});

test('a link checker that can fail: a missing file, a missing heading and a link out of the repository are each named', () => {
  expect(brokenLink('README.md', 'docs/no-such-page.md')).toBe('docs/no-such-page.md: no such file (docs/no-such-page.md)');
  expect(brokenLink('README.md', 'docs/contract.md#no-such-heading')).toBe(
    'docs/contract.md#no-such-heading: docs/contract.md has no heading with the id "no-such-heading"',
  );
  expect(brokenLink('docs/contract.md', '#1-the-lake-files')).toBeUndefined();
  expect(brokenLink('docs/contract.md', '../../etc/passwd')).toBe('../../etc/passwd: outside the repository');
  expect(linksOf('[a](x.md) `[b](y.md)` ![c](p.png "t")\n```\n[d](z.md)\n```\n')).toEqual([
    { target: 'x.md', line: 1 },
    { target: 'p.png', line: 1 },
  ]);
});

test.each(files)('%s: every relative link and #anchor resolves to a file and a heading that exist', (file) => {
  const broken = linksOf(readFileSync(join(REPO, file), 'utf8'))
    .map(({ target, line }) => {
      const problem = brokenLink(file, target);
      return problem === undefined ? undefined : `${file}:${line}: ${problem}`;
    })
    .filter((problem) => problem !== undefined);
  expect(broken).toEqual([]);
});

test('every docs page is one hop from the README: README.md links to each Markdown file under docs/', () => {
  const linked = new Set(
    linksOf(readFileSync(join(REPO, 'README.md'), 'utf8'))
      .map(({ target }) => target.split('#')[0] as string)
      .filter((target) => target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .map((target) => relative('.', normalize(decodeURIComponent(target)))),
  );
  expect(files.filter((file) => file !== 'README.md' && !linked.has(file))).toEqual([]);
});
