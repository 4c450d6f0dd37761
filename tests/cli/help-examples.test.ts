import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../cli/commands';
import { REPO_ROOT } from '../helpers/compose-file';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// Every command's --help ends with an example meant to work when pasted. Here each is
// pasted (as `npm run elt -- ...` does, from the repository root) in an order that
// makes sense: run first, so that the others find data. Left out: `db`, which serves
// until Ctrl-C (tests/cli/db-command.test.ts), and `upload`, whose example names a
// MinIO on 127.0.0.1:9000 (the upload itself is tested against a local S3 server), and
// `stream` and `publish`, whose examples name a nats-server on 127.0.0.1:4222 (tests/stream/
// runs them against a real nats-server on a free port), and `diff`, whose example compares an
// environment a build made first (tests/cli/environments.test.ts runs it).
const ORDER = [
  'run',
  'load',
  'migrate',
  'build',
  'refresh',
  'test',
  'status',
  'env',
  'lineage',
  'explain',
  'freshness',
  'chart',
  'docs',
  'query',
  'generate',
  'lint',
];

let db: TestDatabase;
let outDir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  outDir = mkdtempSync(join(tmpdir(), 'elt-examples-'));
});
afterAll(() => db.drop());

/** The words of an example line, with its shell quoting undone (double quotes only, as the examples use). */
function words(example: string): string[] {
  const line = example.replace(/\s+#.*$/, '');
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? (match[2] as string));
}

test('every command but db, upload, stream, publish, diff and promote (they need a server or an environment) has an example, and the list above covers them all', () => {
  expect(
    COMMANDS.map((command) => command.name)
      .filter((name) => !['db', 'upload', 'stream', 'publish', 'diff', 'promote'].includes(name))
      .sort(),
  ).toEqual([...ORDER].sort());
});

test.each(ORDER)(
  'the example of elt %s works when pasted',
  async (name) => {
    const command = COMMANDS.find((candidate) => candidate.name === name);
    const argv = words(command?.example ?? '');
    expect(argv.slice(0, 4)).toEqual(['npm', 'run', 'elt', '--']);
    // examples writing files write into a temp folder instead of the checkout
    const args = argv.slice(4).map((arg) => (arg === 'out' ? join(outDir, 'out') : arg.replace('/tmp/demo-lake', join(outDir, 'demo-lake'))));
    const result = await runCli(args, { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: db.url, ELT_OUTPUT_DIR: join(outDir, 'run') } });
    expect([name, result.code, result.stderr.includes('elt: error')]).toEqual([name, 0, false]);
  },
  60_000,
);
