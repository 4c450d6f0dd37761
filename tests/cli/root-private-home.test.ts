import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { envWithout, runProcess } from '../helpers/run-cli';

// As root in a home directory of mode 0700 (the default for /root, as in most containers
// and cloud VMs), the embedded server's unprivileged account cannot reach node_modules
// or .elt/. The README's two commands must work there anyway, also in a path with spaces.

const REPO = join(__dirname, '..', '..');
const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? test : test.skip;
if (!isRoot) test('as root in a 0700 home (skipped: these tests need root; run npm test as root to include them)', () => undefined);

/** A checkout of this repository inside a fresh 0700 folder; node_modules hard-linked (same files, no copy). */
function checkoutInPrivateHome(): { home: string; project: string } {
  const home = mkdtempSync(join(tmpdir(), 'elt-root-home-'));
  chmodSync(home, 0o700);
  const project = join(home, 'my projects', 'clickstream elt');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(project, file)), { recursive: true });
    try {
      cpSync(join(REPO, file), join(project, file));
    } catch {
      // listed but deleted in the working tree
    }
  }
  const linked = spawnSync('cp', ['-al', join(REPO, 'node_modules'), join(project, 'node_modules')]);
  if (linked.status !== 0) cpSync(join(REPO, 'node_modules'), join(project, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  return { home, project };
}

describe('as root in a 0700 home', () => {
  let home: string;
  let project: string;
  let shared: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    if (!isRoot) return;
    ({ home, project } = checkoutInPrivateHome());
    // where the server's account gets its copies; a temporary one, not the machine's /var/lib
    shared = mkdtempSync(join(tmpdir(), 'elt-shared-home-'));
    chmodSync(shared, 0o755);
    env = { ...envWithout('DATABASE_URL', 'ELT_TEST_DATABASE_URL'), ELT_EMBEDDED_HOME: shared };
  });
  afterAll(() => {
    if (!isRoot) return;
    rmSync(home, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
  });

  rootOnly(
    "npm start works, and a second npm start finds the first one's data",
    async () => {
      const first = await runProcess('npm', ['start', '--silent'], { cwd: project, env });
      expect(first.stderr).not.toMatch(/EACCES|\n\s+at /);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/marts\.article_performance\s+[1-9][\d,]* rows/);
      const second = await runProcess('npm', ['start', '--silent'], { cwd: project, env });
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/5 files: 0 loaded, 5 skipped/);
    },
    240_000,
  );

  rootOnly(
    'npm test starts its Postgres there (one test file of the suite, run as the README says)',
    async () => {
      const result = await runProcess('npm', ['test', '--silent', '--', 'tests/loader/timestamp.test.ts'], { cwd: project, env });
      expect(result.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
      expect(result.code).toBe(0);
    },
    240_000,
  );
});
