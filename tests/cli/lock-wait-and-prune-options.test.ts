import { Client } from 'pg';
import { ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { lockWaitSecondsOf, pruneOf } from '../../cli/options';
import { buildModels } from '../../transform/build-models';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, MODELS_DIR } from '../helpers/test-database';

// The settings of issue 23 items 7 and 8 as the CLI reads them: --lock-wait-seconds /
// ELT_LOCK_WAIT_SECONDS (bounded: no value makes a command wait without limit) and
// --prune / --drop-orphan; then `elt build` behind a reader, end to end: exit code 11.

test('--lock-wait-seconds and ELT_LOCK_WAIT_SECONDS: the flag wins, 300 s by default, and no value outside (0, one day] is taken', () => {
  expect(lockWaitSecondsOf({}, {})).toBe(300);
  expect(lockWaitSecondsOf({}, { ELT_LOCK_WAIT_SECONDS: '20' })).toBe(20);
  expect(lockWaitSecondsOf({ 'lock-wait-seconds': '0.5' }, { ELT_LOCK_WAIT_SECONDS: '20' })).toBe(0.5);
  expect(lockWaitSecondsOf({ 'lock-wait-seconds': '86400' }, {})).toBe(86_400);
  for (const bad of ['0', '-1', '86401', '1e9', 'Infinity', '-Infinity', 'NaN', 'abc', '5s']) {
    expect(() => lockWaitSecondsOf({ 'lock-wait-seconds': bad }, {})).toThrow(
      expect.objectContaining({
        exitCode: ExitCode.usage,
        message: `--lock-wait-seconds ${bad}: must be a number of seconds above 0, at most 86400 (see --help)`,
      }),
    );
    expect(() => lockWaitSecondsOf({}, { ELT_LOCK_WAIT_SECONDS: bad })).toThrow(expect.objectContaining({ exitCode: ExitCode.usage }));
  }
});

test('--prune asks for every orphan, --drop-orphan for the ones named, neither for none', () => {
  expect(pruneOf({})).toBeUndefined();
  expect(pruneOf({ prune: true })).toBe('all');
  expect(pruneOf({ 'drop-orphan': ['marts.x', 'y'] })).toEqual(['marts.x', 'y']);
  expect(pruneOf({ 'drop-orphan': [] })).toBeUndefined();
});

test('elt build behind a reader that keeps its transaction open exits 10 with one error line naming the reader', async () => {
  const db = await createTestDatabase({ migrated: true });
  const reader = new Client({ connectionString: db.url, application_name: 'analyst-notebook' });
  try {
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
    await reader.connect();
    await reader.query('begin');
    await reader.query('select count(*) from marts.user_performance');
    const pid = (await reader.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    const result = await runCli(['build', '--select', 'marts.user_performance', '--lock-wait-seconds', '1'], {
      env: { ...process.env, DATABASE_URL: db.url },
    });
    expect(result.code).toBe(ExitCode.lockWait);
    const errors = result.stderr.split('\n').filter((line) => line.includes('error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `elt build waited 1 s for its locks .*blocked by pid ${pid} \\(user [^,]+, application analyst-notebook, idle in transaction since `,
      ),
    );
  } finally {
    await reader.end().catch(() => undefined);
    await db.drop();
  }
});
