import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { COMMANDS, findCommand } from '../../cli/commands';
import { parseCommandLine } from '../../cli/program';
import { resolveSettings } from '../../core/settings/resolve-settings';
import { ExitCode } from '../../core/errors';
import { dockerfileEntrypoint, REPO_ROOT } from '../helpers/compose-file';
import { runProcess, type CliResult } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// The files of docs/guides/scheduling/ are meant to be copied as they are: each one's elt
// command line runs here for real, the way its scheduler would run it, against a test
// database and the sample lake. Only the three machine paths they name change (the
// checkout, the project folder, the environment file: INSTALL, PROJECT, ENV_FILE below),
// and the node binary systemd-analyze checks. Every elt invocation is parsed with the
// CLI's own option table, and every retry rule is compared with core/errors.ts ExitCode.

const GUIDE = join(REPO_ROOT, 'docs', 'guides', 'scheduling');
const SAMPLE = join(REPO_ROOT, 'tests', 'fixtures', 'lake-sample');
const INSTALL = '/opt/clickstream-elt';
const PROJECT = '/srv/clickstream-elt';
const ENV_FILE = '/etc/clickstream-elt/elt.env';
const ELT_JS = /\/bin\/elt\.js$/;

/** What a retry can fix: the database, the lake source or the stream may be back later. */
const RETRYABLE = [ExitCode.database, ExitCode.sourceUnavailable, ExitCode.streamUnavailable, ExitCode.lockWait].sort((a, b) => a - b);

const read = (name: string): string => readFileSync(join(GUIDE, name), 'utf8');
const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** A place where one scheduled run happens: its project folder and environment file, on a database of its own. */
interface Site {
  project: string;
  envFile: string;
  db: TestDatabase;
}

const databases: TestDatabase[] = [];

let sampleCopy: string | undefined;
/** The sample lake at a path with no space (a copy, once), as an elt.env value must be. */
function sampleWithoutSpaces(): string {
  sampleCopy ??= join(mkdtempSync(join(tmpdir(), 'elt-scheduled-lake-')), 'lake');
  if (!existsSync(sampleCopy)) cpSync(SAMPLE, sampleCopy, { recursive: true });
  return sampleCopy;
}

/** elt.env.example with the test database and the sample lake in place of the placeholders, mode 0600 as the guide says. */
async function site(envValues: Record<string, string> = {}): Promise<Site> {
  const db = await createTestDatabase();
  databases.push(db);
  const project = mkdtempSync(join(tmpdir(), 'elt-scheduled-'));
  const envFile = join(mkdtempSync(join(tmpdir(), 'elt-scheduled-etc-')), 'elt.env');
  // the file's own rule: no spaces in a value (sh reads it); the checkout's path may have some
  const values: Record<string, string> = { DATABASE_URL: db.url, ELT_SOURCE: sampleWithoutSpaces(), ...envValues };
  const text = read('elt.env.example').replace(/^([A-Z_][A-Z0-9_]*)=.*$/gm, (line, name: string) =>
    values[name] === undefined ? line : `${name}=${values[name]}`,
  );
  writeFileSync(envFile, text, { mode: 0o600 });
  return { project, envFile, db };
}

/** NAME=value lines, as sh (`. file`), systemd (EnvironmentFile=) and kubectl (--from-env-file) all read them when unquoted. */
function envFileValues(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const pair = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (pair) values[pair[1] as string] = pair[2] as string;
  }
  return values;
}

/** The three machine paths of the files, pointed at this checkout and at the site's folder and file. */
function localize(text: string, where: Site, quote: (path: string) => string = (path) => path): string {
  return text.replaceAll(INSTALL, quote(REPO_ROOT)).replaceAll(PROJECT, where.project).replaceAll(ENV_FILE, where.envFile);
}

/** Checks one elt invocation (the words after bin/elt.js) against the CLI's own option table, as main() parses it. */
function checkInvocation(words: string[]): void {
  const [name, ...rest] = words;
  const command = findCommand(name ?? '');
  if (!command) throw new Error(`elt ${words.join(' ')}: no command "${name}"`);
  const args: string[] = [];
  for (let index = 0; index < rest.length; index += 1) {
    // --log-format is global: main() takes it out of the arguments first
    if (rest[index] === '--log-format') {
      expect(['human', 'json']).toContain(rest[index + 1]);
      index += 1;
    } else args.push(rest[index] as string);
  }
  // elt's own parser, and its settings resolved as the command would (a bad value throws)
  const { options } = parseCommandLine(COMMANDS, [command.name, ...args]);
  resolveSettings(command.settings, { flags: options });
}

/** Words of a command line: whitespace-separated, double or single quotes kept together (what the files use). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? (match[3] as string));
}

// --- the files, read ---------------------------------------------------------------------------

const crontabLines = read('crontab')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
const cronEnv = Object.fromEntries(
  crontabLines
    .filter((line) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
const cronJobs = crontabLines.filter((line) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(line));
const cronFields = (cronJobs[0] ?? '').trim().split(/\s+/);
const cronCommand = (cronJobs[0] ?? '').trim().replace(/^(\S+\s+){5}/, '');

/** A unit file's settings: section → name → values (a name may repeat). */
function unitSettings(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const line of text.split('\n')) {
    if (/^\s*([#;]|$)/.test(line)) continue;
    const header = /^\[(.+)\]$/.exec(line.trim());
    if (header) section = header[1] as string;
    else {
      const name = line.slice(0, line.indexOf('=')).trim();
      ((sections[section] ??= {})[name] ??= []).push(line.slice(line.indexOf('=') + 1).trim());
    }
  }
  return sections;
}
const service = unitSettings(read('clickstream-elt.service'));
const timer = unitSettings(read('clickstream-elt.timer'));
const serviceSetting = (name: string): string => (service.Service?.[name] ?? [])[0] ?? '';

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { secretRef?: { name: string } }[];
}
interface CronJob {
  apiVersion: string;
  kind: string;
  spec: {
    schedule: string;
    concurrencyPolicy?: string;
    jobTemplate: {
      spec: {
        activeDeadlineSeconds?: number;
        backoffLimit?: number;
        podFailurePolicy?: { rules: { action: string; onExitCodes?: { containerName?: string; operator: string; values: number[] } }[] };
        template: { spec: { restartPolicy?: string; containers: Container[] } };
      };
    };
  };
}
const cronJob = parse(read('cronjob.yaml')) as CronJob;
const containers = cronJob.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [];

const dagFile = read('airflow/clickstream_elt_dags.py');
/** The DAG's elt commands: each task calls run("<elt arguments>"). */
const dagCommands = [...dagFile.matchAll(/\brun\("([^"]*)"\)/g)].map((match) => match[1] as string);
const HELPER = join(GUIDE, 'airflow', 'clickstream_elt_command.py');

/** Every elt invocation of every file: the words after bin/elt.js. */
function invocations(): Record<string, string[][]> {
  const afterEltJs = (argv: string[]): string[] => argv.slice(argv.findIndex((word) => ELT_JS.test(word)) + 1);
  return {
    crontab: [...cronCommand.matchAll(/\bnode (\S+\/bin\/elt\.js(?: [^>|&;]+?)?)\s*(?=>|\||&|;|$)/g)].map((match) =>
      afterEltJs(words(match[1] as string)),
    ),
    'clickstream-elt.service': (service.Service?.ExecStart ?? []).map((line) => afterEltJs(words(line))),
    'cronjob.yaml': containers.map((container) => afterEltJs([...(container.command ?? []), ...(container.args ?? [])])),
    'airflow/clickstream_elt_dags.py': dagCommands.map(words),
  };
}

// --- running them ------------------------------------------------------------------------------

/** Runs `program args` to its end (no shell). */
const run = (program: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<CliResult> =>
  runProcess(program, args, { cwd: options.cwd ?? tmpdir(), env: options.env });

/** The PATH of the crontab, with the folder of the node running the tests when that PATH does not hold a node. */
function cronPath(): string {
  const path = cronEnv.PATH ?? '/usr/bin:/bin';
  const hasNode = path.split(delimiter).some((folder) => existsSync(join(folder, 'node')));
  return hasNode ? path : `${dirname(process.execPath)}${delimiter}${path}`;
}

/** The crontab's job line, run as cron runs it: its SHELL, the crontab's variables, HOME and LOGNAME, nothing else. */
function runCronJob(where: Site): Promise<CliResult> {
  const env = { HOME: where.project, LOGNAME: 'elt', SHELL: cronEnv.SHELL ?? '/bin/sh', PATH: cronPath() };
  return run(env.SHELL, ['-c', localize(cronCommand, where, shellQuote)], { env });
}

/** The service's ExecStart, run as systemd runs it: in WorkingDirectory=, with EnvironmentFile= and a plain PATH. */
function runServiceExecStart(where: Site): Promise<CliResult> {
  const [program, ...args] = words(serviceSetting('ExecStart')).map((word) => localize(word, where));
  const env = { PATH: process.env.PATH, HOME: where.project, ...envFileValues(localize(serviceSetting('EnvironmentFile'), where)) };
  return run(program === '/usr/bin/node' ? process.execPath : (program as string), args, {
    cwd: localize(serviceSetting('WorkingDirectory'), where),
    env,
  });
}

/** The image's last stage: its WORKDIR and ENV (the environment a container starts with). */
function imageStage(): { workdir: string; env: Record<string, string>; copies: string[] } {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const last = text.slice(text.lastIndexOf('\nFROM '));
  const workdirs = [...last.matchAll(/^WORKDIR (\S+)$/gm)].map((match) => match[1] as string);
  const env = Object.fromEntries([...last.matchAll(/^ENV ([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/gm)].map((match) => [match[1], match[2]]));
  const copies = [...last.matchAll(/^COPY (?:--\S+ )*(\S+) /gm)].map((match) => match[1] as string);
  return { workdir: workdirs[workdirs.length - 1] ?? '/', env: env as Record<string, string>, copies };
}

/** The CronJob's container, run as the kubelet runs it: command in workingDir, the image's ENV and the Secret's values. */
function runContainer(container: Container, where: Site): Promise<CliResult> {
  const image = imageStage();
  const [program, ...args] = [...(container.command ?? []), ...(container.args ?? [])].map((word) =>
    word.startsWith(`${image.workdir}/`) ? join(REPO_ROOT, word.slice(image.workdir.length + 1)) : word,
  );
  // the Secret "clickstream-elt" is made from the environment file (kubectl create secret generic --from-env-file)
  const env = { PATH: process.env.PATH, HOME: where.project, ...image.env, ...envFileValues(where.envFile) };
  return run(program === 'node' ? process.execPath : (program as string), args, { cwd: localize(container.workingDir ?? image.workdir, where), env });
}

/** The environment an Airflow task gives the runner: this checkout, the site's folder and env file, this node. */
function helperEnv(where: Site): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: where.project,
    PYTHONDONTWRITEBYTECODE: '1',
    CLICKSTREAM_ELT_HOME: REPO_ROOT,
    CLICKSTREAM_ELT_PROJECT_DIR: where.project,
    CLICKSTREAM_ELT_ENV_FILE: where.envFile,
    CLICKSTREAM_ELT_NODE: process.execPath,
  };
}

/** The Airflow tasks' runner (clickstream_elt_command.py), run by python3 as a task would call it. */
function runHelper(where: Site, args: string[]): Promise<CliResult> {
  return run('python3', [HELPER, ...args], { env: helperEnv(where) });
}

/** JSON log lines of a run's stderr (--log-format json): each one an object with time, level and message. */
function expectJsonLogs(stderr: string): void {
  const lines = stderr.split('\n').filter((line) => line.startsWith('{'));
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(Object.keys(JSON.parse(line) as object)).toEqual(expect.arrayContaining(['time', 'level', 'message']));
}

const expectSucceeded = (result: CliResult): void =>
  expect([result.code, result.stderr.split('\n').filter((line) => /error/i.test(line))]).toEqual([0, []]);

// every elt run of the files starts at once (each on its own database and folder), the tests then await theirs
let cronSite: Site;
let serviceSite: Site;
let containerSite: Site;
let dagRunSite: Site;
let dagStepsSite: Site;
let cronRun: Promise<CliResult>;
let serviceRun: Promise<CliResult>;
let containerRun: Promise<CliResult>;
let dagRun: Promise<CliResult>;
let dagSteps: Promise<{ command: string; result: CliResult }[]>;

beforeAll(async () => {
  [cronSite, serviceSite, containerSite, dagRunSite, dagStepsSite] = await Promise.all([site(), site(), site(), site(), site()]);
  cronRun = runCronJob(cronSite);
  serviceRun = runServiceExecStart(serviceSite);
  containerRun = runContainer(containers[0] as Container, containerSite);
  const runCommand = dagCommands.find((command) => command.startsWith('run')) as string;
  dagRun = runHelper(dagRunSite, words(runCommand));
  dagSteps = (async () => {
    const results: { command: string; result: CliResult }[] = [];
    for (const command of dagCommands.filter((candidate) => candidate !== runCommand)) {
      const result = await runHelper(dagStepsSite, words(command));
      results.push({ command, result });
      if (result.code !== 0) break;
    }
    return results;
  })();
  // settle them all before a test fails, so that afterAll drops no database in use
  await Promise.allSettled([cronRun, serviceRun, containerRun, dagRun, dagSteps]);
});
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

// --- every file ---------------------------------------------------------------------------------

test('every file of the guide folder that runs elt is one the test runs (a new file needs its test)', () => {
  const files = (dir: string, prefix = ''): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
    );
  const running = files(GUIDE).filter((file) => /bin\/elt\.js|\brun\("/.test(read(file)) && !file.endsWith('clickstream_elt_command.py'));
  expect(running.sort()).toEqual(Object.keys(invocations()).sort());
  for (const [file, found] of Object.entries(invocations())) expect([file, found.length > 0]).toEqual([file, true]);
});

test('every elt invocation in the files names a real command and only its flags (the CLI option table decides)', () => {
  for (const [file, found] of Object.entries(invocations())) {
    for (const invocation of found) expect([file, invocation, (() => (checkInvocation(invocation), 'ok'))()]).toEqual([file, invocation, 'ok']);
  }
  // the check itself refuses a typo, a flag of another command and an unknown command
  expect(() => checkInvocation(['run', '--log-formt', 'json'])).toThrow();
  expect(() => checkInvocation(['freshness', '--source', SAMPLE])).toThrow();
  expect(() => checkInvocation(['refersh'])).toThrow(/no command/);
});

test('the files name no password: DATABASE_URL comes from the environment file or the Secret', () => {
  const withPassword = /[a-z]+:\/\/[^/\s:@]+:([^@\s/]+)@/gi;
  for (const file of [
    'crontab',
    'clickstream-elt.service',
    'clickstream-elt.timer',
    'cronjob.yaml',
    'airflow/clickstream_elt_dags.py',
    'airflow/clickstream_elt_command.py',
  ]) {
    expect([file, read(file).match(withPassword)]).toEqual([file, null]);
  }
  // the example environment file holds a placeholder, nothing that could be a real password
  expect([...read('elt.env.example').matchAll(withPassword)].map((match) => match[1])).toEqual(['REPLACE_ME']);
  expect(service.Service?.Environment ?? []).toEqual([]);
  for (const container of containers) {
    expect(container.env ?? []).toEqual([]);
    expect(container.envFrom).toEqual([{ secretRef: { name: 'clickstream-elt' } }]);
  }
});

test('elt.env.example: NAME=value lines that sh, systemd and kubectl read alike, each a documented variable', () => {
  // documented: in the settings reference, generated from the declarations
  const settingsPage = readFileSync(join(REPO_ROOT, 'docs', 'reference', 'settings.md'), 'utf8');
  const lines = read('elt.env.example')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    // no quote, space or character the shell would expand or cut at (sh sources the file; kubectl would keep quotes)
    expect([line, /^[A-Z_][A-Z0-9_]*=[A-Za-z0-9_./:@%+,=-]*$/.test(line)]).toEqual([line, true]);
    const name = line.slice(0, line.indexOf('='));
    expect([name, settingsPage.includes(`\`${name}\``)]).toEqual([name, true]);
  }
  expect(lines.map((line) => line.slice(0, line.indexOf('=')))).toEqual(expect.arrayContaining(['DATABASE_URL', 'ELT_SOURCE']));
});

test('the guide links only to files that exist, and the README links to the guide', () => {
  const guide = readFileSync(join(GUIDE, '..', 'scheduling.md'), 'utf8');
  const links = [...guide.matchAll(/\]\(([^)#\s]+)\)/g)].map((match) => match[1] as string).filter((target) => !/^[a-z]+:/.test(target));
  expect(links.length).toBeGreaterThan(0);
  for (const target of links) expect([target, existsSync(join(GUIDE, '..', target))]).toEqual([target, true]);
  expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain('](docs/guides/scheduling.md)');
});

// --- cron ---------------------------------------------------------------------------------------

test('the crontab holds one job line: five valid time fields, then a command without % (cron cuts the line at one)', () => {
  expect(cronJobs).toHaveLength(1);
  const ranges: [number, number][] = [
    [0, 59],
    [0, 23],
    [1, 31],
    [1, 12],
    [0, 7],
  ];
  cronFields.slice(0, 5).forEach((field, index) => {
    const [low, high] = ranges[index] as [number, number];
    for (const part of field.split(',')) {
      const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      expect([field, match !== null]).toEqual([field, true]);
      for (const value of [match?.[2], match?.[3]].filter((bound) => bound !== undefined).map(Number)) {
        expect([field, value >= low && value <= high]).toEqual([field, true]);
      }
    }
  });
  expect(cronCommand.length).toBeGreaterThan(0);
  expect(cronCommand).not.toContain('%');
  // into the project folder, the environment file read, overlapping runs refused, a timeout
  expect(cronCommand).toMatch(new RegExp(`^cd ${PROJECT} && set -a && \\. ${ENV_FILE} && set \\+a && flock -n \\. timeout `));
});

test('the crontab job runs elt run for real in the project folder: exit 0, JSON logs and the summary in elt.log, out/ written', async () => {
  const result = await cronRun;
  expect([result.code, result.stdout, result.stderr]).toEqual([0, '', '']);
  const log = readFileSync(join(cronSite.project, 'elt.log'), 'utf8');
  expect(log).toMatch(/clickstream-elt summary/);
  expect(log).toMatch(/1 files: 1 loaded, 0 skipped, 0 failed; 30 rows/);
  expectJsonLogs(log);
  expect(existsSync(join(cronSite.project, 'out', 'summary.json'))).toBe(true);
  expect((await cronSite.db.pool.query('select count(*)::int as n from marts.category_ctr_daily')).rows).toEqual([{ n: 9 }]);
});

test('the crontab job started while a run still holds the lock exits at once without starting elt, and says so on stdout (cron mails it)', async () => {
  const where = await site();
  // a run in progress: a process holding the lock on the project folder, as flock does
  const holder = spawn('sh', ['-c', 'exec 9<"$1" && flock -n 9 && echo held && exec sleep 30', 'sh', where.project], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`the lock holder exited ${code}`)));
    });
    const started = Date.now();
    const result = await runCronJob(where);
    expect(Date.now() - started).toBeLessThan(5000);
    expect([result.code, result.stdout.trim(), result.stderr]).toEqual([
      0,
      'clickstream-elt: elt run failed or a run was still going (exit 1): see /srv/clickstream-elt/elt.log'.replace(PROJECT, where.project),
      '',
    ]);
    // elt never ran: no log line, nothing loaded
    expect(readFileSync(join(where.project, 'elt.log'), 'utf8')).toBe('');
    expect((await where.db.pool.query(`select count(*)::int as n from pg_namespace where nspname = 'raw'`)).rows).toEqual([{ n: 0 }]);
  } finally {
    holder.kill();
  }
});

// --- systemd ------------------------------------------------------------------------------------

test('the systemd service and timer pass systemd-analyze verify (a copy, with node and the paths of this machine)', async () => {
  const where = { project: mkdtempSync(join(tmpdir(), 'elt-units-')), envFile: '/dev/null', db: undefined as unknown as TestDatabase };
  const units = mkdtempSync(join(tmpdir(), 'elt-units-'));
  for (const name of ['clickstream-elt.service', 'clickstream-elt.timer']) {
    // verify checks that the ExecStart program exists: node may live elsewhere than /usr/bin here
    writeFileSync(
      join(units, name),
      localize(read(name), where, (path) => (path.includes(' ') ? `"${path}"` : path)).replace('/usr/bin/node ', `${process.execPath} `),
    );
  }
  const result = await run('systemd-analyze', ['verify', join(units, 'clickstream-elt.service'), join(units, 'clickstream-elt.timer')], {
    env: process.env,
  });
  // verify exits 0 on a setting it could not parse (and ignored): its warnings count too
  expect([result.code, result.stderr.trim(), result.stdout.trim()]).toEqual([0, '', '']);
});

test('systemd-analyze verify, as used above, refuses a unit with a bad setting (the check can fail)', async () => {
  const units = mkdtempSync(join(tmpdir(), 'elt-units-'));
  writeFileSync(
    join(units, 'clickstream-elt.service'),
    read('clickstream-elt.service')
      .replace('/usr/bin/node ', `${process.execPath} `)
      .replace('RestartForceExitStatus=3', 'RestartForceExitStatus=x3'),
  );
  writeFileSync(join(units, 'clickstream-elt.timer'), read('clickstream-elt.timer').replace(/^OnCalendar=.*$/m, 'OnCalendar=*-*-* 25:30:00'));
  const result = await run('systemd-analyze', ['verify', join(units, 'clickstream-elt.service'), join(units, 'clickstream-elt.timer')], {
    env: process.env,
  });
  expect(result.stderr).toMatch(/Failed to parse value/);
  expect(result.stderr).toMatch(/Failed to parse calendar specification/);
});

test('the systemd units: a daily timer, the project folder, the environment file, a runtime limit, retries only for 3, 6, 8 and 11', () => {
  expect(timer.Timer?.OnCalendar?.length).toBe(1);
  expect(timer.Timer?.Persistent).toEqual(['true']);
  expect(timer.Install?.WantedBy).toEqual(['timers.target']);
  // not oneshot: systemd refuses RestartForceExitStatus= there; a running unit is never started twice
  expect(serviceSetting('Type')).toBe('exec');
  expect(serviceSetting('WorkingDirectory')).toBe(PROJECT);
  expect(serviceSetting('EnvironmentFile')).toBe(ENV_FILE);
  expect(serviceSetting('ExecStart')).toMatch(new RegExp(`^/usr/bin/node ${INSTALL}/bin/elt\\.js `));
  expect(serviceSetting('RuntimeMaxSec')).not.toBe('');
  expect(serviceSetting('Restart') || 'no').toBe('no');
  expect(serviceSetting('RestartPreventExitStatus')).toBe('');
  expect(serviceSetting('RestartForceExitStatus').split(/\s+/).map(Number)).toEqual(RETRYABLE);
  // retries are bounded
  expect(Number(service.Unit?.StartLimitBurst?.[0])).toBeGreaterThan(1);
});

test('the systemd service runs elt run for real (ExecStart in WorkingDirectory with EnvironmentFile): exit 0, JSON logs on stderr, the summary on stdout', async () => {
  const result = await serviceRun;
  expectSucceeded(result);
  expect(result.stdout).toMatch(/clickstream-elt summary/);
  expectJsonLogs(result.stderr);
  expect(existsSync(join(serviceSite.project, 'out', 'summary.json'))).toBe(true);
});

// --- Kubernetes ---------------------------------------------------------------------------------

test('the CronJob is a batch/v1 CronJob with what one needs: schedule, image, command, restartPolicy Never|OnFailure, no overlap, a deadline', () => {
  expect([cronJob.apiVersion, cronJob.kind]).toEqual(['batch/v1', 'CronJob']);
  expect(cronJob.spec.schedule.trim().split(/\s+/)).toHaveLength(5);
  expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
  const job = cronJob.spec.jobTemplate.spec;
  expect(job.activeDeadlineSeconds).toBeGreaterThan(0);
  expect(['Never', 'OnFailure']).toContain(job.template.spec.restartPolicy);
  expect(containers.length).toBeGreaterThan(0);
  for (const container of containers) {
    expect(container.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(container.image).toMatch(/^[^\s:]+(:[\w][\w.-]*)$/);
    expect(container.image).not.toMatch(/:latest$/);
    expect(Array.isArray(container.command) && container.command.length > 0).toBe(true);
    expect(container.workingDir).toBe(PROJECT);
  }
});

test('the CronJob retries only exit codes 3, 6, 8 and 11 (podFailurePolicy fails the job on any other), with restartPolicy Never', () => {
  const job = cronJob.spec.jobTemplate.spec;
  // a pod failure policy requires restartPolicy Never
  expect(job.template.spec.restartPolicy).toBe('Never');
  expect(job.backoffLimit).toBeGreaterThan(0);
  const failJob = (job.podFailurePolicy?.rules ?? []).filter((rule) => rule.action === 'FailJob' && rule.onExitCodes);
  expect(failJob).toHaveLength(1);
  expect(failJob[0]?.onExitCodes?.operator).toBe('NotIn');
  expect(failJob[0]?.onExitCodes?.containerName).toBe(containers[0]?.name);
  expect([...(failJob[0]?.onExitCodes?.values ?? [])].sort((a, b) => a - b)).toEqual(RETRYABLE);
});

test("the CronJob's command is the image's elt command (node bin/elt.js in its WORKDIR, without compose's ./out owner wrapper), which the image holds", () => {
  const image = imageStage();
  const entrypoint = dockerfileEntrypoint().entrypoint.slice(-2);
  expect(entrypoint).toEqual(['node', 'bin/elt.js']);
  for (const container of containers) {
    const [program, script] = container.command ?? [];
    expect([program, script]).toEqual([entrypoint[0], `${image.workdir}/${entrypoint[1]}`]);
    expect(image.copies).toContain((entrypoint[1] as string).split('/')[0]);
  }
});

test("the CronJob's container runs elt run for real (command in workingDir, the image's ENV, the Secret's values): exit 0", async () => {
  const result = await containerRun;
  expectSucceeded(result);
  expect(result.stdout).toMatch(/clickstream-elt summary/);
  expectJsonLogs(result.stderr);
  expect(existsSync(join(containerSite.project, 'out', 'summary.json'))).toBe(true);
});

// --- Airflow ------------------------------------------------------------------------------------

test('the DAG file and its helper compile with python3 -m py_compile', async () => {
  const result = await run('python3', ['-m', 'py_compile', join(GUIDE, 'airflow', 'clickstream_elt_dags.py'), HELPER], {
    env: { ...process.env, PYTHONPYCACHEPREFIX: mkdtempSync(join(tmpdir(), 'elt-pycache-')) },
  });
  expect([result.code, result.stderr]).toEqual([0, '']);
});

test('the DAGs: one task per step (load, build, refresh, test, freshness) and one elt run; never two runs at once; timeouts', () => {
  expect(dagCommands.map((command) => words(command)[0])).toEqual(['load', 'build', 'refresh', 'test', 'freshness', 'run']);
  expect(dagFile).toMatch(/max_active_runs=1\b/);
  expect(dagFile).toMatch(/catchup=False/);
  expect(dagFile).toMatch(/dagrun_timeout=timedelta\(/);
  expect(dagFile.match(/@task\(execution_timeout=timedelta\(/g)).toHaveLength(dagCommands.length);
  expect(dagFile).toMatch(/load\(\) >> build\(\) >> refresh\(\) >> data_tests\(\) >> freshness\(\)/);
  // a failure a retry may fix raises AirflowException (retried); any other AirflowFailException (failed at once)
  expect(dagFile).toMatch(
    /\n {4}except EltFailed as failed:\n {8}if failed\.retryable:\n {12}raise AirflowException\(str\(failed\)\) from failed\n {8}raise AirflowFailException\(str\(failed\)\) from failed\n/,
  );
});

test("the Airflow helper retries exactly elt's exit codes 3, 6, 8 and 11 and knows every other code", async () => {
  const where = await site();
  const script =
    'import json, clickstream_elt_command as c; print(json.dumps({"retryable": sorted(c.RETRYABLE_EXIT_CODES), "known": sorted(c.EXIT_CODES)}))';
  const result = await run('python3', ['-c', script], {
    cwd: join(GUIDE, 'airflow'),
    env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', HOME: where.project },
  });
  expect(result.stderr).toBe('');
  const codes = Object.values(ExitCode).filter((code) => code !== ExitCode.ok);
  expect(JSON.parse(result.stdout)).toEqual({ retryable: RETRYABLE, known: [...codes].sort((a, b) => a - b) });
});

test('the Airflow helper runs each step of the steps DAG for real, in order, each exit 0', async () => {
  const steps = await dagSteps;
  expect(steps.map((step) => [step.command, step.result.code])).toEqual(
    dagCommands.filter((command) => !command.startsWith('run')).map((command) => [command, 0]),
  );
  expectJsonLogs(steps.map((step) => step.result.stdout).join('\n'));
  expect((await dagStepsSite.db.pool.query('select count(*)::int as n from marts.category_ctr_daily')).rows).toEqual([{ n: 9 }]);
});

test("the Airflow helper runs the run DAG's elt run for real: exit 0, logs and summary in the task's output", async () => {
  const result = await dagRun;
  expect([result.code, result.stderr]).toEqual([0, '']);
  expect(result.stdout).toMatch(/clickstream-elt summary/);
  expectJsonLogs(result.stdout);
  expect(existsSync(join(dagRunSite.project, 'out', 'summary.json'))).toBe(true);
});

test('the Airflow helper reports an unreachable database as retryable (exit 3) and a bad source as final (exit 2)', async () => {
  const unreachable = await site({ DATABASE_URL: 'postgres://elt@127.0.0.1:1/bi', ELT_DB_WAIT_SECONDS: '0' });
  const down = await runHelper(unreachable, ['load', '--log-format', 'json']);
  expect([down.code, down.stderr.trim()]).toEqual([
    ExitCode.database,
    'clickstream-elt: elt load --log-format json exited 3 (the database cannot be reached): retrying may fix it',
  ]);
  const missing = join(unreachable.project, 'no-such-lake');
  const bad = await runHelper(unreachable, ['load', '--source', missing]);
  expect([bad.code, bad.stderr.trim()]).toEqual([
    ExitCode.usage,
    `clickstream-elt: elt load --source ${missing} exited 2 (bad usage or input): not retried: a retry cannot fix it`,
  ]);
});

/** Whether process `pid` still runs (a zombie waiting for its reaper has ended). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('a task process killed outright (SIGKILL, no cleanup) takes its elt with it: elt gets SIGTERM, not 60 s of waiting alone', async () => {
  // a database that refuses connections: elt waits ELT_DB_WAIT_SECONDS (60) for it, logging that it waits
  const where = await site({ DATABASE_URL: 'postgres://elt@127.0.0.1:1/bi', ELT_DB_WAIT_SECONDS: '60' });
  const task = spawn('python3', [HELPER, 'load'], { env: helperEnv(where), stdio: ['ignore', 'pipe', 'inherit'] });
  let eltPid = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      task.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('waiting for the database')) resolve();
      });
      task.once('exit', (code) => reject(new Error(`the helper exited ${code} before elt waited: ${output}`)));
    });
    eltPid = Number(readFileSync(`/proc/${task.pid}/task/${task.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    expect(running(eltPid)).toBe(true);
    task.kill('SIGKILL');
    const deadline = Date.now() + 15000;
    while (running(eltPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running(eltPid)).toBe(false);
  } finally {
    task.kill('SIGKILL');
    if (eltPid && running(eltPid)) process.kill(eltPid, 'SIGKILL');
  }
});

test('the Airflow helper refuses an environment file another account could have written, or with a line that is not NAME=value', async () => {
  const where = await site();
  chmodSync(where.envFile, 0o620);
  let result = await runHelper(where, ['run']);
  expect([result.code, result.stderr]).toEqual([1, expect.stringMatching(/ValueError: .*elt\.env: writable by its group or others/)]);
  chmodSync(where.envFile, 0o602);
  result = await runHelper(where, ['run']);
  expect(result.stderr).toMatch(/ValueError: .*elt\.env: writable by its group or others/);
  chmodSync(where.envFile, 0o600);
  // sh would run this line (export), systemd would not: the two would not read the file alike
  writeFileSync(where.envFile, `${readFileSync(where.envFile, 'utf8')}export ELT_TIME_ZONE=UTC\n`);
  result = await runHelper(where, ['run']);
  expect(result.stderr).toMatch(/ValueError: .*elt\.env:\d+: not a NAME=value line/);
  expect(existsSync(join(where.project, 'out'))).toBe(false);
});

test('the Airflow helper refuses an environment file without DATABASE_URL (elt would start an embedded Postgres in the project folder)', async () => {
  const where = await site({ DATABASE_URL: '' });
  const result = await runHelper(where, ['run']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/ValueError: .*elt\.env: no DATABASE_URL/);
  expect(existsSync(join(where.project, '.elt'))).toBe(false);
});
