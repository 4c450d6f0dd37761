import { join } from 'node:path';
import type { LoadLakeOptions } from '../loader/load-lake';
import { DEFAULT_LOAD_OPTIONS } from '../loader/load-lake';
import type { S3Settings } from '../loader/sources/s3/s3-settings';
import type { PruneRequest } from '../transform/orphaned-models';
import { readModels } from '../transform/model-catalog';
import { selectModels } from '../transform/select-models';
import type { ModelSettings } from '../transform/settings';
import type { Options } from './command';
import { EltError, ExitCode } from '../core/errors';
import { projectRoot } from '../core/package-root';
import type { SettingKey } from '../core/settings/declared-settings';
import { resolveSetting, resolveSettings } from '../core/settings/resolve-settings';

/**
 * The settings commands share, grouped as their --help lists them, and what they become:
 * load options, S3 settings, model settings. Each value is resolved and checked by
 * core/settings (flag, else variable, else project file, else default).
 */

export const S3_SETTINGS = ['endpointUrl', 'region', 'noSignRequest', 'bucketEndpoints'] as const satisfies readonly SettingKey[];
export const LOAD_SETTINGS = [
  'source',
  'concurrency',
  'maxRejectRatio',
  'retries',
  'maxGzipRatio',
  'allowDuplicates',
  ...S3_SETTINGS,
] as const satisfies readonly SettingKey[];
export const MODEL_SETTINGS = ['models', 'timeZone', 'sessionGapMinutes'] as const satisfies readonly SettingKey[];
export const PRUNE_SETTINGS = ['prune', 'dropOrphan'] as const satisfies readonly SettingKey[];

/** How long in all a build, refresh or migration waits for the locks readers hold. */
export function lockWaitSecondsOf(options: Options, env: NodeJS.ProcessEnv): number {
  return resolveSetting('lockWaitSeconds', { flags: options, env });
}

/** What `--prune` / `--drop-orphan` ask the build to drop; nothing when neither is given. */
export function pruneOf(options: Options): PruneRequest | undefined {
  const { prune, dropOrphan } = resolveSettings(PRUNE_SETTINGS, { flags: options });
  if (prune) return 'all';
  return dropOrphan?.length ? [...dropOrphan] : undefined;
}

/** dbt's `--select` / `--exclude` (transform/select-models.ts), each repeatable, each value one or more selectors. */
export const SELECT_SETTINGS = ['select', 'exclude'] as const satisfies readonly SettingKey[];

/** The models `--select` / `--exclude` choose from the folder `modelsDir`; undefined when neither flag is given (every model). */
export function selectionOf(options: Options, modelsDir: string): Set<string> | undefined {
  const chosen = resolveSettings(SELECT_SETTINGS, { flags: options });
  const select = chosen.select === undefined ? undefined : [...chosen.select];
  const exclude = chosen.exclude === undefined ? undefined : [...chosen.exclude];
  if (select === undefined && exclude === undefined) return undefined;
  return new Set(selectModels(readModels(modelsDir), { select, exclude, modelsDir }));
}

export function sourceOf(options: Options, env: NodeJS.ProcessEnv): string {
  const source = resolveSetting('source', { flags: options, env });
  if (!source) throw new EltError('no lake source: pass --source <dir|file> or set ELT_SOURCE', ExitCode.usage);
  return source;
}

export function s3SettingsOf(options: Options, env: NodeJS.ProcessEnv): S3Settings {
  const { endpointUrl, region, noSignRequest, bucketEndpoints } = resolveSettings(S3_SETTINGS, { flags: options, env });
  return {
    endpoint: endpointUrl,
    // an explicit --endpoint-url wins over per-bucket endpoints
    bucketEndpoints: options['endpoint-url'] ? {} : { ...bucketEndpoints },
    region,
    unsigned: noSignRequest,
  };
}

export function loadOptionsOf(options: Options, env: NodeJS.ProcessEnv): LoadLakeOptions {
  return {
    ...DEFAULT_LOAD_OPTIONS,
    ...resolveSettings(['concurrency', 'maxRejectRatio', 'retries', 'maxGzipRatio', 'allowDuplicates'], { flags: options, env }),
  };
}

/** The model settings as resolved (flag, variable, project file); left undefined, the stored ones stay. */
export function modelSettingsOf(settings: { timeZone: string | undefined; sessionGapMinutes: number | undefined }): ModelSettings {
  return { timeZone: settings.timeZone, sessionGapMinutes: settings.sessionGapMinutes };
}

export const migrationsDir = (): string => join(projectRoot(), 'migrations');
