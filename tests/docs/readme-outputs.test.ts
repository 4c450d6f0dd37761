import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, runTypeScript } from '../helpers/run-cli';
import { markdownFiles, REPO } from '../helpers/markdown-files';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

// Every output block of the README and of the docs pages (docs/**/*.md) is produced here, by
// the command it shows, so it cannot drift from what the code prints. A block follows a marker line
//   <!-- output: <what> -->      (or the older <!-- README output: <what> -->)
// in any of those files, and is compared after durations, times and paths are masked. `exact`
// blocks must equal the output; `excerpt` blocks (with `...` for lines left out) must appear in it
// in order. `UPDATE_README=1 npx jest tests/docs/readme-outputs.test.ts` rewrites the exact blocks
// from the output, in whichever file they live.

const MARKER = /^<!-- (?:README )?output: (.+?) -->$/;

interface Block {
  what: string;
  /** the Markdown file holding it, from the repository's root */
  file: string;
  /** index of the block's first line (after the opening fence) in the file's lines */
  start: number;
  lines: string[];
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(REPO, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  lines.forEach((line, index) => {
    const marker = MARKER.exec(line);
    if (!marker || !lines[index + 1]?.startsWith('```')) return;
    const start = index + 2;
    const end = lines.findIndex((candidate, at) => at >= start && candidate.startsWith('```'));
    blocks.push({ what: marker[1] as string, file, start, lines: lines.slice(start, end) });
  });
  return blocks;
}

/** Durations, clock times and machine paths vary from run to run: masked before comparing. */
function mask(line: string): string {
  return line
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<time>')
    .replace(/\b\d+(\.\d+)? (ms|s)\b/g, '<t>')
    .replace(/\b\d+[smhdw]( \d+[smhdw])* ago\b/g, '<age> ago')
    .replace(/file:\/\/\S*\/(demo-lake\/)/g, 'file://…/$1')
    .replace(/ +/g, ' ')
    .trimEnd();
}

function rewrite(block: Block, output: string[]): void {
  const path = join(REPO, block.file);
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.splice(block.start, block.lines.length, ...output);
  writeFileSync(path, lines.join('\n'));
}

function expectExact(block: Block, output: string): void {
  const produced = output.trimEnd().split('\n');
  if (process.env.UPDATE_README === '1' && produced.map(mask).join('\n') !== block.lines.map(mask).join('\n')) rewrite(block, produced);
  else expect(block.lines.map(mask)).toEqual(produced.map(mask));
}

function expectExcerpt(block: Block, output: string): void {
  const produced = output.split('\n').map(mask);
  let at = 0;
  for (const line of block.lines.filter((candidate) => candidate.trim() !== '...').map(mask)) {
    const found = produced.indexOf(line, at);
    expect([line, found >= 0 ? 'printed' : `not printed after line ${at} of:\n${produced.join('\n')}`]).toEqual([line, 'printed']);
    at = found + 1;
  }
}

const blocks = markdownFiles().flatMap(blocksOf);
const block = (what: string): Block => {
  const found = blocks.find((candidate) => candidate.what === what);
  if (!found) throw new Error(`no Markdown file (README.md, docs/**/*.md) has a block marked <!-- output: ${what} -->`);
  return found;
};

describe('the README and the docs show what the commands print', () => {
  let db: TestDatabase;
  let cwd: string;
  const env = () => ({ ...process.env, DATABASE_URL: db.url, NO_COLOR: '1' });
  let demo: { stdout: string; stderr: string; code: number | null };

  beforeAll(async () => {
    db = await createTestDatabase();
    cwd = mkdtempSync(join(tmpdir(), 'elt-readme-'));
    demo = await runTypeScript(join(REPO, 'cli', 'demo.ts'), [], { env: env(), cwd });
  }, 120_000);
  afterAll(() => db.drop());

  test('every marked block, in whichever file, is one this test produces; a command output is marked once (bench tables may repeat)', () => {
    const repeated = blocks.filter((candidate, index) => blocks.findIndex((other) => other.what === candidate.what) !== index);
    expect(repeated.filter((candidate) => candidate.what !== 'npm run bench').map((candidate) => `${candidate.file}: ${candidate.what}`)).toEqual([]);
    expect([...new Set(blocks.map((candidate) => candidate.what))].sort()).toEqual(
      [
        'elt explain, after npm start',
        'elt freshness, after npm start',
        'elt lineage --mermaid',
        'elt status, after npm start',
        'elt test, with a broken invariant planted',
        'npm run bench',
        'npm start',
      ].sort(),
    );
  });

  test('npm start: the summary', () => {
    expect(demo.code).toBe(0);
    expectExact(block('npm start'), demo.stdout);
  });

  test('elt status, after npm start', async () => {
    const result = await runCli(['status'], { env: env(), cwd });
    expect(result.code).toBe(0);
    expectExcerpt(block('elt status, after npm start'), result.stdout);
  });

  test('elt freshness, after npm start', async () => {
    const result = await runCli(['freshness'], { env: env(), cwd });
    expect(result.code).toBe(0);
    expectExcerpt(block('elt freshness, after npm start'), result.stdout);
  });

  test('elt explain, after npm start', async () => {
    const result = await runCli(['explain', 'marts.article_performance', 'article_id=nBJfwzZXr30oazCq0udbPw', 'date=2019-02-18'], {
      env: env(),
      cwd,
    });
    expect(result.code).toBe(0);
    // load ids follow the order the loader's workers started the files in: masked
    const loadIds = (line: string) => line.replace(/^ *\d+(?= +\d{4}-\d{2}-\d{2}T)/, '<load>');
    const shown = block('elt explain, after npm start');
    expectExcerpt({ ...shown, lines: shown.lines.map(loadIds) }, result.stdout.split('\n').map(loadIds).join('\n'));
  });

  test('elt lineage --mermaid', async () => {
    const result = await runCli(['lineage', '--mermaid'], { env: env(), cwd });
    expect(result.code).toBe(0);
    expectExact(block('elt lineage --mermaid'), result.stdout);
  });

  test('elt test, with a broken invariant planted', async () => {
    const models = mkdtempSync(join(tmpdir(), 'elt-readme-models-'));
    cpSync(MODELS_DIR, models, { recursive: true });
    const mart = join(models, 'marts', 'user_performance.sql');
    const sql = readFileSync(mart, 'utf8');
    const planted = sql.replace('count(*) filter (where is_session) as sessions', '-1 as sessions');
    expect(planted).not.toBe(sql);
    writeFileSync(mart, planted);
    const scratch = await createTestDatabase();
    try {
      const built = await runCli(
        ['run', '--source', join(REPO, 'tests', 'fixtures', 'lake-sample'), '--models', models, '--output-dir', join(models, 'out')],
        {
          env: { ...env(), DATABASE_URL: scratch.url },
          cwd,
        },
      );
      expect(built.code).toBe(7);
      const result = await runCli(['test', '--models', models], { env: { ...env(), DATABASE_URL: scratch.url }, cwd });
      expect(result.code).toBe(7);
      expectExcerpt(block('elt test, with a broken invariant planted'), result.stdout);
    } finally {
      await scratch.drop();
    }
  }, 60_000);

  test("npm run bench: the figures are the bench's own table (its header and its steps, in order)", () => {
    // the figures come from a bench run on the machine docs/benchmarks.md names; their shape is the bench's
    for (const table of blocks.filter((candidate) => candidate.what === 'npm run bench').map((candidate) => candidate.lines)) {
      expect((table[0] as string).trim().split(/\s{2,}/)[0]).toBe('step');
      expect(table.length).toBeGreaterThan(1);
    }
  });
});
