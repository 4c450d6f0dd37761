import { runCli } from '../helpers/run-cli';

/** The one `elt: error` line on stderr (there must be exactly one, and no stack trace). */
function oneErrorLine(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('elt: error'));
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0] as string;
}

test('a mysql:// DATABASE_URL is a usage error (exit 2) naming the scheme, without printing its password', async () => {
  const result = await runCli(['migrate'], { env: { ...process.env, DATABASE_URL: 'mysql://u:secret@127.0.0.1/db', ELT_DB_WAIT_SECONDS: '1' } });
  expect(result.code).toBe(2);
  expect(oneErrorLine(result.stderr)).toMatch(/DATABASE_URL has the scheme "mysql:"; expected postgres:\/\/ or postgresql:\/\//);
  expect(result.stderr + result.stdout).not.toContain('secret');
});

test('a postgres: DATABASE_URL without // (postgresql:secret) is a usage error (exit 2) that does not print it', async () => {
  const result = await runCli(['status'], { env: { ...process.env, DATABASE_URL: 'postgresql:secret', ELT_DB_WAIT_SECONDS: '1' } });
  expect(result.code).toBe(2);
  expect(oneErrorLine(result.stderr)).toMatch(/DATABASE_URL is not a valid connection URL \(expected postgres:\/\/user:password@host:port\/db\)/);
  expect(result.stderr + result.stdout).not.toContain('secret');
});
