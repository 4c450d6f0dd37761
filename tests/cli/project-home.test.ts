import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { findProjectHome } from '../../pipeline/project-home';
import { envWithout, runCli } from '../helpers/run-cli';

// The project's home (where .elt/ and out/ are) is found as git finds .git: a cron job in /
// with --project-dir, or a command in a subfolder, uses the project's database; a command that
// only reads, on a home that never ran, says so and starts no empty cluster.

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');
const asRoot = process.getuid?.() === 0;

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elt-home-'));
  chmodSync(dir, 0o755); // the server runs as user "postgres" when tests run as root
  return dir;
}

describe('findProjectHome', () => {
  test('walks up from a subfolder to the nearest folder holding .elt/ or elt.project.json', () => {
    const home = folder();
    mkdirSync(join(home, '.elt'));
    const deep = join(home, 'models', 'marts');
    mkdirSync(deep, { recursive: true });
    expect(findProjectHome(deep)).toEqual({ dir: home, how: 'found' });
    const project = folder();
    writeFileSync(join(project, 'elt.project.json'), '{}');
    mkdirSync(join(project, 'sub'));
    expect(findProjectHome(join(project, 'sub'))).toEqual({ dir: project, how: 'found' });
  });

  test('a named folder wins; a named folder that does not exist is a usage error', () => {
    const home = folder();
    expect(findProjectHome('/', home)).toEqual({ dir: home, how: 'named' });
    expect(() => findProjectHome('/', join(home, 'nope'))).toThrow(expect.objectContaining({ exitCode: ExitCode.usage }));
  });

  test('no marker anywhere above: the current folder', () => {
    const here = folder();
    expect(findProjectHome(here)).toEqual({ dir: here, how: 'here' });
  });

  (asRoot ? test : test.skip)("another account's .elt/ above is never taken for the project's (walked past)", () => {
    const above = folder();
    mkdirSync(join(above, '.elt'));
    chownSync(join(above, '.elt'), 65534, 65534);
    const here = join(above, 'work');
    mkdirSync(here);
    expect(findProjectHome(here)).toEqual({ dir: here, how: 'here' });
  });
});

describe('the embedded default follows the project, not the current folder', () => {
  test('a run in the project, then status from / with --project-dir and from a subfolder: the same database', async () => {
    const home = folder();
    const env = envWithout('DATABASE_URL', 'ELT_PROJECT_DIR');
    expect((await runCli(['run', '--source', SAMPLE], { env, cwd: home })).code).toBe(0);
    const fromRoot = await runCli(['status', '--json', '--project-dir', home], { env, cwd: '/' });
    expect(fromRoot.stderr).toContain(join(home, '.elt'));
    expect(fromRoot.code).toBe(0);
    expect(JSON.parse(fromRoot.stdout)).toMatchObject({ objects: [expect.objectContaining({ status: 'loaded' })] });
    expect(existsSync('/.elt')).toBe(false);
    const sub = join(home, 'reports', 'daily');
    mkdirSync(sub, { recursive: true });
    const fromSub = await runCli(['status', '--json'], { env, cwd: sub });
    expect(fromSub.code).toBe(0);
    expect(JSON.parse(fromSub.stdout)).toMatchObject({ objects: [expect.objectContaining({ status: 'loaded' })] });
    expect(existsSync(join(sub, '.elt'))).toBe(false);
  }, 120_000);

  test.each([
    ['status', ExitCode.database],
    ['freshness', ExitCode.stale],
    ['lineage', ExitCode.database],
  ])(
    '%s on a home that never ran: one line, exit %i, and no empty cluster started',
    async (command, code) => {
      const home = folder();
      const result = await runCli([command], { env: envWithout('DATABASE_URL', 'ELT_PROJECT_DIR'), cwd: home });
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^elt: error: no database yet: ${home} has no \\.elt/`)),
      ]);
      expect(result.code).toBe(code);
      expect(existsSync(join(home, '.elt'))).toBe(false);
    },
    60_000,
  );

  test('--project-dir naming no folder: exit 2, one line', async () => {
    const result = await runCli(['status', '--project-dir', '/no/such/folder'], { env: envWithout('DATABASE_URL', 'ELT_PROJECT_DIR'), cwd: '/' });
    expect(result.stderr.trimEnd().split('\n')).toEqual(['elt: error: --project-dir /no/such/folder: no such folder']);
    expect(result.code).toBe(ExitCode.usage);
  });
});
