import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository's root. */
export const REPO = join(__dirname, '..', '..');

/**
 * The documentation people read: README.md and every Markdown file under docs/, as paths
 * relative to the repository (sorted, so a failure names the same file first every time).
 */
export function markdownFiles(): string[] {
  const docs = readdirSync(join(REPO, 'docs'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => relative(REPO, join(entry.parentPath, entry.name)));
  return ['README.md', ...docs.sort()];
}

/** The lines of a Markdown text outside fenced code blocks (``` or ~~~), with their index; inside ones are blank. */
export function proseLines(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && opening) {
      fence = (opening[1] as string)[0] as string;
      return '';
    }
    if (fence !== undefined) {
      if (opening && (opening[1] as string)[0] === fence) fence = undefined;
      return '';
    }
    return line;
  });
}
