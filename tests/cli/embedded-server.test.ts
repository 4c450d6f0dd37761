import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { envWithout, runCli } from '../helpers/run-cli';
import { killAll, startCli, waitFor } from '../s3/cli-process';

// The embedded default, as a hostile local user and a careless one would use it:
// several commands at once, a command that crashes, a keeper that is killed, a
// neighbour who knows the old fixed password.

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');
const env = envWithout('DATABASE_URL');
const isRoot = process.getuid?.() === 0;

function folder(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'elt-embedded-server-'));
  chmodSync(cwd, 0o755); // as root, the server's account must pass through the test's folder
  return cwd;
}

function postmasterRunning(cwd: string): boolean {
  return existsSync(join(cwd, '.elt', 'pgdata', 'postmaster.pid'));
}

function portOf(cwd: string): number {
  return Number(readFileSync(join(cwd, '.elt', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[3]);
}

afterEach(killAll);

test('two elt run at once in one folder share the embedded server and end as if run one after the other', async () => {
  const cwd = folder();
  const [first, second] = await Promise.all([runCli(['run', '--source', SAMPLE], { env, cwd }), runCli(['run', '--source', SAMPLE], { env, cwd })]);
  expect([first.code, second.code, first.stderr + second.stderr]).toEqual([0, 0, expect.not.stringMatching(/error|terminating|shutting down/)]);
  // one of them loaded the file, the other found it loaded (or both waited their turn)
  const loads = [first.stdout, second.stdout].map((out) => /1 files: (\d) loaded/.exec(out)?.[1]).sort();
  expect(loads).toEqual(['0', '1']);
  for (const out of [first.stdout, second.stdout]) expect(out).toMatch(/marts\.article_performance\s+27 rows/);
  // the last one out stopped the server
  expect(postmasterRunning(cwd)).toBe(false);
}, 120_000);

test('a command killed with SIGKILL does not leave the embedded server running on its own', async () => {
  const cwd = folder();
  const db = startCli(['db'], { env, cwd });
  await waitFor('the server', async () => (/embedded Postgres is up/.test(db.output().stderr) ? true : undefined), 60_000);
  expect(postmasterRunning(cwd)).toBe(true);
  db.kill();
  await db.done;
  await waitFor('the server to stop', async () => (postmasterRunning(cwd) ? undefined : true), 15_000);
}, 90_000);

test('a server left running by a killed keeper is adopted by the next command and stopped when it ends', async () => {
  const cwd = folder();
  const db = startCli(['db'], { env, cwd });
  await waitFor('the server', async () => (/embedded Postgres is up/.test(db.output().stderr) ? true : undefined), 60_000);
  const keeper = Number(readFileSync(join(cwd, '.elt', 'keeper.pid'), 'utf8'));
  process.kill(keeper, 'SIGKILL'); // nobody left to stop the server...
  db.kill();
  await db.done;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(postmasterRunning(cwd)).toBe(true); // ...so it runs on its own, until the next command
  const next = await runCli(['status'], { env, cwd });
  expect(next.code).toBe(0);
  expect(next.stderr).toMatch(/left running .* by a process that died/);
  expect(postmasterRunning(cwd)).toBe(false);
}, 90_000);

test('the embedded server takes no fixed password: a neighbour who tries postgres:postgres is refused', async () => {
  const cwd = folder();
  const db = startCli(['db'], { env, cwd });
  const url = await waitFor('the URL', async () => /^postgres:\/\/\S+$/m.exec(db.output().stdout)?.[0], 60_000);
  try {
    const neighbour = new Client({ host: '127.0.0.1', port: portOf(cwd), user: 'postgres', password: 'postgres', database: 'postgres' });
    await expect(neighbour.connect()).rejects.toThrow(/password authentication failed/);
    // the password the owner gets works, and only the owner can read it
    const owner = new Client({ connectionString: url });
    await owner.connect();
    const { rows } = await owner.query<{ sockets: string; listen: string }>(
      "select current_setting('unix_socket_directories') as sockets, current_setting('listen_addresses') as listen",
    );
    await owner.end();
    expect(rows).toEqual([{ sockets: '', listen: '127.0.0.1' }]); // no Unix socket, loopback only
    expect(statSync(join(cwd, '.elt', 'password')).mode & 0o077).toBe(0);
    expect(url).toContain(encodeURIComponent(readFileSync(join(cwd, '.elt', 'password'), 'utf8').trim()));
  } finally {
    db.kill();
    await db.done;
  }
}, 90_000);

(isRoot ? test : test.skip)(
  'another local account cannot read the password or enter .elt (runs as root only)',
  () => {
    const cwd = folder();
    return runCli(['migrate'], { env, cwd }).then((result) => {
      expect(result.code).toBe(0);
      const asNobody = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'cat', join(cwd, '.elt', 'password')], {
        encoding: 'utf8',
      });
      expect(asNobody.status).not.toBe(0);
      expect(asNobody.stderr).toMatch(/Permission denied/);
    });
  },
  90_000,
);

test('a cluster made by an earlier version with the fixed password gets a random one at its first start', async () => {
  const cwd = folder();
  expect((await runCli(['migrate'], { env, cwd })).code).toBe(0);
  // as an earlier version left it: password "postgres", no password file
  const db = startCli(['db'], { env, cwd });
  const url = await waitFor('the URL', async () => /^postgres:\/\/\S+$/m.exec(db.output().stdout)?.[0], 60_000);
  const owner = new Client({ connectionString: url });
  await owner.connect();
  await owner.query("alter role postgres password 'postgres'");
  await owner.end();
  db.kill();
  await db.done;
  await waitFor('the server to stop', async () => (postmasterRunning(cwd) ? undefined : true), 15_000);
  spawnSync('rm', [join(cwd, '.elt', 'password')]);

  const next = await runCli(['status'], { env, cwd });
  expect(next.code).toBe(0);
  expect(statSync(join(cwd, '.elt', 'password')).mode & 0o077).toBe(0);
  expect(readFileSync(join(cwd, '.elt', 'server.log'), 'utf8')).toMatch(/replaced the fixed password/);
}, 120_000);

test('Ctrl-C in a terminal reaches the command, not the embedded server: the server runs in a session of its own', async () => {
  const cwd = folder();
  const db = startCli(['db'], { env, cwd });
  try {
    await waitFor('the server', async () => (/embedded Postgres is up/.test(db.output().stderr) ? true : undefined), 60_000);
    // a terminal's SIGINT goes to the foreground process group: the keeper and its server are not in it
    const session = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[3];
    const keeper = Number(readFileSync(join(cwd, '.elt', 'keeper.pid'), 'utf8'));
    const postmaster = Number(readFileSync(join(cwd, '.elt', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(session(keeper)).toBe(String(keeper));
    expect(session(postmaster)).toBe(String(keeper));
    expect(session(db.pid)).not.toBe(String(keeper));
  } finally {
    db.kill();
    await db.done;
  }
}, 90_000);
