import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpointFor, s3SettingsFromEnv } from '../../loader/sources/s3/s3-settings';
import { environmentOf, readComposeServices, REPO_ROOT, type ComposeService } from '../helpers/compose-file';

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
