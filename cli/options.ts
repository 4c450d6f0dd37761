import { join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_LOAD_OPTIONS, type LoadLakeOptions } from '../loader/load-lake';
import { s3SettingsFromEnv, type S3Settings } from '../loader/sources/s3/s3-settings';
import type { PruneRequest } from '../transform/orphaned-models';
import { readModels } from '../transform/model-catalog';
import { selectModels } from '../transform/select-models';
import type { ModelSettings } from '../transform/settings';
import type { Options } from './command';
import { EltError, ExitCode } from '../core/errors';
import { DEFAULT_LOCK_WAIT_SECONDS } from '../db/lock-wait';
import { projectRoot } from '../core/package-root';

/** Flags shared by the commands that talk to S3, with their help lines. */
export const S3_FLAGS: ParseArgsConfig['options'] = {
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  'no-sign-request': { type: 'boolean' },
};
export const S3_HELP = [
  '--endpoint-url <url>        S3-compatible endpoint, e.g. MinIO [env AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL]',
  '--region <region>           AWS region [env AWS_REGION, default us-east-1]',
  '--no-sign-request           anonymous requests, for a public bucket [env ELT_S3_NO_SIGN_REQUEST=1]',
];

/** Flags of the commands that load the lake. */
export const LOAD_FLAGS: ParseArgsConfig['options'] = {
  source: { type: 'string' },
  concurrency: { type: 'string' },
  'max-reject-ratio': { type: 'string' },
  retries: { type: 'string' },
  'max-gzip-ratio': { type: 'string' },
  'allow-duplicates': { type: 'boolean' },
  ...S3_FLAGS,
};
export const LOAD_HELP = [
  '--source <path|s3-uri>      lake: a directory or file, or s3://bucket/prefix/ [env ELT_SOURCE]',
  '--concurrency <n>           objects loaded at once, each in its own transaction [env ELT_CONCURRENCY, default 2]',
  '--max-reject-ratio <r>      an object with more rejected rows than this share fails [env ELT_MAX_REJECT_RATIO, default 0.05]',
  '--retries <n>               further attempts after a transient S3 failure [env ELT_RETRIES, default 3]',
  '--max-gzip-ratio <r>        a .gz object decompressing to more than r times its size (at least 1 MiB) fails [env ELT_MAX_GZIP_RATIO, default 100]',
  '--allow-duplicates          load a file whose content is already loaded under another name [env ELT_ALLOW_DUPLICATES=1]',
  ...S3_HELP,
];

/** Flags of the commands that build or refresh models. */
export const MODEL_FLAGS: ParseArgsConfig['options'] = {
  models: { type: 'string' },
  'time-zone': { type: 'string' },
  'session-gap-minutes': { type: 'string' },
};
export const MODEL_HELP = [
  "--models <dir>              model folder (default: the package's models/)",
  '--time-zone <tz>            reporting time zone for days [env ELT_TIME_ZONE, default UTC]',
  '--session-gap-minutes <n>   gap that starts a new session [env ELT_SESSION_GAP_MINUTES, default 30]',
];

/** Flags of the commands that build models: an orphan (a model whose file is gone) is dropped only when asked. */
export const PRUNE_FLAGS: ParseArgsConfig['options'] = {
  prune: { type: 'boolean' },
  'drop-orphan': { type: 'string', multiple: true },
};
export const PRUNE_HELP = [
  '--prune                     drop every orphaned model (its file is gone; kept and reported otherwise)',
  '--drop-orphan <model>       drop only this orphaned model, e.g. marts.x (repeatable)',
];

/** `--lock-wait-seconds`: the commands whose DDL takes strong locks (build, refresh, migrate, run) take it. */
export const LOCK_WAIT_FLAG: ParseArgsConfig['options'] = { 'lock-wait-seconds': { type: 'string' } };
export const LOCK_WAIT_HELP = [
  '--lock-wait-seconds <s>     most to wait for locks a reader holds, in 1 s tries (readers never queue longer) [env ELT_LOCK_WAIT_SECONDS, default 300]',
];

/** How long in all a build, refresh or migration waits for the locks readers hold; at most a day. */
export function lockWaitSecondsOf(options: Options, env: NodeJS.ProcessEnv): number {
  return numberOption(options, env, 'lock-wait-seconds', 'ELT_LOCK_WAIT_SECONDS', DEFAULT_LOCK_WAIT_SECONDS, (n) => n > 0 && n <= 86_400);
}

/** What `--prune` / `--drop-orphan` ask the build to drop; nothing when neither is given. */
export function pruneOf(options: Options): PruneRequest | undefined {
  if (options.prune === true) return 'all';
  const named = options['drop-orphan'] as string[] | undefined;
  return named?.length ? named : undefined;
}

/** dbt's `--select` / `--exclude` (transform/select-models.ts), each repeatable, each value one or more selectors. */
export const SELECT_FLAGS: ParseArgsConfig['options'] = {
  select: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
};

/** The models `--select` / `--exclude` choose from the folder `modelsDir`; undefined when neither flag is given (every model). */
export function selectionOf(options: Options, modelsDir: string): Set<string> | undefined {
  const select = options.select as string[] | undefined;
  const exclude = options.exclude as string[] | undefined;
  if (select === undefined && exclude === undefined) return undefined;
  return new Set(selectModels(readModels(modelsDir), { select, exclude, modelsDir }));
}

/** `--project <dir>`: the commands that work on a project's data and models take it. */
export const PROJECT_FLAG: ParseArgsConfig['options'] = { project: { type: 'string' } };
export const PROJECT_HELP = ['--project <dir>             a project folder (elt.project.json + models/) instead of the clickstream pipeline'];

export function sourceOf(options: Options, env: NodeJS.ProcessEnv): string {
  const source = (options.source as string | undefined) ?? env.ELT_SOURCE;
  if (!source) throw new EltError('no lake source: pass --source <dir|file> or set ELT_SOURCE', ExitCode.usage);
  return source;
}

export function s3SettingsOf(options: Options, env: NodeJS.ProcessEnv): S3Settings {
  const fromEnv = s3SettingsFromEnv(env);
  return {
    ...fromEnv,
    endpoint: (options['endpoint-url'] as string | undefined) ?? fromEnv.endpoint,
    // an explicit --endpoint-url wins over per-bucket endpoints
    bucketEndpoints: options['endpoint-url'] ? {} : fromEnv.bucketEndpoints,
    region: (options.region as string | undefined) ?? fromEnv.region,
    unsigned: options['no-sign-request'] === true || fromEnv.unsigned,
  };
}

/** A numeric option: flag, else environment variable, else default; bad values are usage errors. */
export function numberOption(
  options: Options,
  env: NodeJS.ProcessEnv,
  flag: string,
  variable: string | undefined,
  fallback: number,
  valid: (n: number) => boolean,
): number {
  const raw = (options[flag] as string | undefined) ?? (variable ? env[variable] : undefined);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !valid(value)) throw new EltError(`--${flag} ${raw} is out of range (see --help)`, ExitCode.usage);
  return value;
}

export function loadOptionsOf(options: Options, env: NodeJS.ProcessEnv): LoadLakeOptions {
  const count = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max;
  return {
    ...DEFAULT_LOAD_OPTIONS,
    concurrency: numberOption(options, env, 'concurrency', 'ELT_CONCURRENCY', DEFAULT_LOAD_OPTIONS.concurrency, count(1, 64)),
    maxRejectRatio: numberOption(
      options,
      env,
      'max-reject-ratio',
      'ELT_MAX_REJECT_RATIO',
      DEFAULT_LOAD_OPTIONS.maxRejectRatio,
      (n) => n >= 0 && n <= 1,
    ),
    retries: numberOption(options, env, 'retries', 'ELT_RETRIES', DEFAULT_LOAD_OPTIONS.retries, count(0, 20)),
    maxGzipRatio: numberOption(options, env, 'max-gzip-ratio', 'ELT_MAX_GZIP_RATIO', DEFAULT_LOAD_OPTIONS.maxGzipRatio, (n) => n >= 1 && n <= 1e6),
    allowDuplicates: options['allow-duplicates'] === true || env.ELT_ALLOW_DUPLICATES === '1' || env.ELT_ALLOW_DUPLICATES === 'true',
  };
}

/** The model settings: flag, else environment variable, else the project's config (else the stored ones). */
export function settingsOf(options: Options, env: NodeJS.ProcessEnv, project?: { timeZone?: string; sessionGapMinutes?: number }): ModelSettings {
  const timeZone = (options['time-zone'] as string | undefined) ?? env.ELT_TIME_ZONE;
  const gap = (options['session-gap-minutes'] as string | undefined) ?? env.ELT_SESSION_GAP_MINUTES;
  return {
    timeZone: timeZone || project?.timeZone || undefined,
    sessionGapMinutes: gap ? Number(gap) : project?.sessionGapMinutes,
  };
}

export const migrationsDir = (): string => join(projectRoot(), 'migrations');
