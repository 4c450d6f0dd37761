import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

// The layout tells the data flow: each layer imports only the layers below it
// (docs/development/layout.md). Read from the sources' import lines.

const REPO = join(__dirname, '..', '..');
const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: REPO, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);

/** The top folder of each module a file imports by a relative path. */
function importedFolders(file: string): string[] {
  const text = readFileSync(join(REPO, file), 'utf8');
  return [...text.matchAll(/(?:from|import|require)\s*\(?\s*'(\.[^']+)'/g)].map((match) => {
    const target = normalize(join(dirname(file), match[1] as string));
    return relative('.', target).split('/')[0] as string;
  });
}

const below: Record<string, string[]> = {
  core: ['core'],
  db: ['core', 'db'],
  chart: ['core', 'chart'],
  generator: ['core', 'generator'],
  loader: ['core', 'db', 'loader'],
  transform: ['core', 'db', 'transform'],
  // observe reads the catalog that transform defines; it neither loads nor runs the pipeline
  // (chart: the docs site sizes its lineage boxes with the bundled font's text widths)
  observe: ['core', 'db', 'transform', 'chart', 'observe'],
  pipeline: ['core', 'db', 'loader', 'transform', 'observe', 'chart', 'pipeline'],
};

test.each(Object.entries(below))('modules in %s/ import only from the layers below it', (layer, allowed) => {
  const offending = sources
    .filter((file) => file.startsWith(`${layer}/`))
    .flatMap((file) =>
      importedFolders(file)
        .filter((folder) => !allowed.includes(folder))
        .map((folder) => `${file} imports ${folder}/`),
    );
  expect(offending).toEqual([]);
});

test('nothing outside cli/, bin/ and tests/ imports cli/', () => {
  const offending = sources
    .filter((file) => !/^(cli|bin|tests)\//.test(file))
    .filter((file) => importedFolders(file).includes('cli'))
    .map((file) => file);
  expect(offending).toEqual([]);
});
