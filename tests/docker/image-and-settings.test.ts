import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { endpointFor, s3SettingsFromEnv } from '../../loader/sources/s3/s3-settings';
import { dockerfileEntrypoint, environmentOf, readComposeServices, REPO_ROOT, type ComposeService } from '../helpers/compose-file';

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim());
const buildIncludes = (JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include;

test('the image builds every folder tsconfig.build.json compiles, and ships what the CLI reads at run time', () => {
  for (const folder of buildIncludes) expect(dockerfile).toContain(`COPY ${folder} ./${folder}`);
  for (const runtime of ['migrations', 'db/procedures', 'models', 'bin']) expect(dockerfile).toContain(`COPY ${runtime} ./${runtime}`);
  expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
  for (const needed of [...buildIncludes, 'migrations', 'models', 'bin']) expect(dockerignore).not.toContain(needed);
  for (const kept of ['tests', '.elt', 'node_modules']) expect(dockerignore).toContain(kept);
});

test('the image pins its base, installs production dependencies only, and runs as a non-root user', () => {
  const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
  expect(bases.length).toBeGreaterThanOrEqual(2);
  for (const base of bases) expect(base).toMatch(/^node:\d+\.\d+\.\d+-\w+-slim$/);
  // the run stage keeps optional dependencies: resvg's native binary (the chart) is one
  const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  expect(runStage).toMatch(/npm ci --omit=dev/);
  expect(runStage).not.toMatch(/--omit=optional/);
  expect(dockerfile).toMatch(/^USER node$/m);
});

test('compose pins its images', () => {
  for (const [name, service] of Object.entries(readComposeServices())) {
    if (service.image) expect([name, service.image]).toEqual([name, expect.stringMatching(/:(\d+\.\d+[\w.-]*|RELEASE\.[\w.-]+)$/)]);
  }
});

test('out of the box the etl service reads the demo bucket from MinIO', () => {
  const env = environmentOf(readComposeServices().etl as ComposeService);
  const settings = s3SettingsFromEnv(env);
  expect(env.ELT_SOURCE).toBe('s3://demo-lake/lake/');
  expect(endpointFor(settings, 'demo-lake')).toBe('http://minio:9000');
});

test('setting ELT_SOURCE to the real bucket and AWS credentials reads AWS S3, with MinIO unused', () => {
  const env = environmentOf(
    readComposeServices({ ELT_SOURCE: 's3://upday-data-assignment/lake/', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' })
      .etl as ComposeService,
  );
  const settings = s3SettingsFromEnv(env);
  expect(env.ELT_SOURCE).toBe('s3://upday-data-assignment/lake/');
  expect(endpointFor(settings, 'upday-data-assignment')).toBeUndefined();
  expect([env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY]).toEqual(['AKIAEXAMPLE', 'secret']);
});

test('no service needs a host port: etl reaches postgres inside the compose network, and postgres is published on loopback only, on a port the host picks unless ELT_PG_PORT names one', () => {
  for (const env of [{}, { ELT_PG_PORT: '15432' }]) {
    const services = readComposeServices(env);
    for (const [name, service] of Object.entries(services)) if (name !== 'postgres') expect([name, service.ports]).toEqual([name, undefined]);
    expect(new URL(environmentOf(services.etl as ComposeService).DATABASE_URL as string).host).toBe('postgres:5432');
  }
  // a busy 5432 on the host cannot stop `up`: no fixed host port unless asked for, and never on every interface
  expect(readComposeServices().postgres?.ports).toEqual(['127.0.0.1::5432']);
  expect(readComposeServices({ ELT_PG_PORT: '15432' }).postgres?.ports).toEqual(['127.0.0.1:15432:5432']);
});

// the Debian package CI installs; a machine without it checks the file as parsed above only
const composeBinary = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
(composeBinary ? test : test.skip)('docker-compose itself reads the postgres port as loopback only with no fixed host port', () => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  // no variables set, whatever a developer's .env holds
  const emptyEnvFile = join(mkdtempSync(join(tmpdir(), 'elt-compose-env-')), 'empty.env');
  writeFileSync(emptyEnvFile, '');
  const args = ['--project-directory', REPO_ROOT, '--env-file', emptyEnvFile, '-f', join(REPO_ROOT, 'docker-compose.yml'), 'config'];
  const config = spawnSync('docker-compose', args, { encoding: 'utf8', env });
  rmSync(dirname(emptyEnvFile), { recursive: true });
  expect(config.stderr).toBe('');
  const ports = /^ {2}postgres:\n(?: {4}.*\n)*? {4}ports:\n((?: {4}- .*\n)+)/m.exec(config.stdout)?.[1];
  expect(ports).toBe('    - 127.0.0.1::5432/tcp\n');
});

test("etl runs as the owner of ./out: the image's entrypoint takes that uid when started as root, which only the etl service is; the image's user stays node", () => {
  const { entrypoint } = dockerfileEntrypoint();
  expect(entrypoint).toEqual(['sh', 'bin/run-as-output-owner.sh', 'node', 'bin/elt.js']);
  const services = readComposeServices();
  expect(services.etl?.user).toBe('root');
  expect(environmentOf(services.etl as ComposeService).ELT_OUTPUT_DIR).toBe('/out');
  expect(services.etl?.volumes).toEqual(['./out:/out']);
  for (const [name, service] of Object.entries(services)) if (name !== 'etl') expect([name, service.user]).toEqual([name, undefined]);
  expect(dockerfile).toMatch(/^USER node$/m);
});
