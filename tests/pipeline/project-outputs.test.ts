import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickstreamProject, readProject } from '../../pipeline/project';
import type { ProjectOutput } from '../../pipeline/project-outputs';
import { outputStep } from '../../pipeline/steps';
import { recorder } from '../helpers/recording-log';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

const REPO = join(__dirname, '..', '..');

/** A project folder whose elt.project.json is the minimal valid one plus `extra`. */
function projectWith(extra: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'elt-outputs-'));
  writeFileSync(
    join(dir, 'elt.project.json'),
    JSON.stringify({ name: 'outputs_check', sources: [{ location: 'data/', format: 'ndjson' }], ...extra }),
  );
  return dir;
}

describe('"outputs" in elt.project.json: what a run writes besides its summary', () => {
  test('the clickstream pipeline declares the docs site and the CTR-per-category chart', () => {
    expect(clickstreamProject().outputs).toEqual(['docs', 'category-ctr-chart']);
  });

  test('a project that declares nothing gets the docs site only (no chart of marts it does not have)', () => {
    expect(readProject(projectWith({})).outputs).toEqual(['docs']);
  });

  test('a project gets what it declares, in its order; an empty list declares none', () => {
    expect(readProject(projectWith({ outputs: ['category-ctr-chart', 'docs'] })).outputs).toEqual(['category-ctr-chart', 'docs']);
    expect(readProject(projectWith({ outputs: [] })).outputs).toEqual([]);
  });

  test('each example project says what it declares', () => {
    for (const example of readdirSync(join(REPO, 'examples'))) {
      const config = JSON.parse(readFileSync(join(REPO, 'examples', example, 'elt.project.json'), 'utf8')) as { outputs?: unknown };
      expect([example, config.outputs]).toEqual([example, ['docs']]);
    }
  });

  test.each([
    ['a string, not a list', 'docs', /"outputs" must be a list of .*"docs", "category-ctr-chart"/],
    ['an object', { docs: true }, /"outputs" must be a list/],
    ['null', null, /"outputs" must be a list/],
    ['an unknown name', ['docs', 'pdf'], /outputs\[1\] must be one of "docs", "category-ctr-chart", not "pdf"/],
    ['another case', ['Docs'], /outputs\[0\] must be one of .*, not "Docs"/],
    ['a name of Object.prototype', ['constructor'], /outputs\[0\] must be one of .*, not "constructor"/],
    ['__proto__', ['__proto__'], /outputs\[0\] must be one of .*, not "__proto__"/],
    ['a number', [1], /outputs\[0\] must be one of .*, not 1/],
    ['a nested list', [['docs']], /outputs\[0\] must be one of .*, not \["docs"\]/],
    ['a name twice', ['docs', 'docs'], /outputs\[1\]: "docs" is listed twice/],
    // (under the 1 MiB a project file may have: a larger file is refused unread, tests/pipeline/project-file.test.ts)
    ['a very long list', Array.from({ length: 100_000 }, () => 'docs'), /outputs\[1\]: "docs" is listed twice/],
    ['a very long name', ['x'.repeat(1_000_000)], /outputs\[0\] must be one of .*, not "x{10}\.\.\.$/],
  ])('"outputs" as %s is a usage error naming the file and the entry, in one line', (_case, outputs, message) => {
    const dir = projectWith({ outputs });
    let error: unknown;
    try {
      readProject(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ exitCode: 2 });
    const text = (error as Error).message;
    expect(text).toMatch(message);
    expect(text).toContain(join(dir, 'elt.project.json'));
    expect(text).not.toContain('\n');
    expect(text.length).toBeLessThan(400);
  });
});

describe('a run writes the outputs its project declares', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
  });
  afterAll(() => db.drop());

  async function outputsOf(outputs: string[]): Promise<{ files: string[]; lines: string[] }> {
    const outputDir = mkdtempSync(join(tmpdir(), 'elt-run-outputs-'));
    const { log, lines } = recorder();
    await outputStep(db.pool, { totalMs: 1 }, { outputDir, outputs: outputs as ProjectOutput[], modelsDir: MODELS_DIR }, log);
    return { files: readdirSync(outputDir).sort(), lines };
  }

  test('none declared: the summary only, no chart and no docs site tried', async () => {
    const { files, lines } = await outputsOf([]);
    expect(files).toEqual(['summary.json', 'summary.txt']);
    expect(lines.join('\n')).not.toMatch(/chart|docs/);
  });

  test('the chart declared: it is drawn (here its mart is not built: one warning, the run is not failed)', async () => {
    const { files, lines } = await outputsOf(['category-ctr-chart']);
    expect(files).toEqual(['summary.json', 'summary.txt']);
    expect(lines.filter((line) => /chart/.test(line))).toEqual([expect.stringMatching(/no chart: /)]);
    expect(lines.join('\n')).not.toMatch(/docs/);
  });

  test('the docs site declared without the chart: the site, and no chart drawn', async () => {
    const { files, lines } = await outputsOf(['docs']);
    expect(files).toEqual(['docs', 'summary.json', 'summary.txt']);
    expect(lines.join('\n')).not.toMatch(/chart/);
  });
});
