import { EltError, ExitCode } from '../errors';
import { SETTINGS, type SettingKey, type SettingValue } from './declared-settings';
import { MAX_SETTING_CHARS, shownValue, type Setting } from './setting';
import type { ProjectSettings } from './project-settings';

/** Where settings come from, strongest first: the flags, the environment, the project file; else the default. */
export interface SettingSources {
  /** parsed flags by flag name (without dashes): text, true for a switch, a list for a repeatable flag */
  flags?: Readonly<Record<string, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** the project file's settings (already checked when it was read) */
  project?: ProjectSettings;
}

function refuse(origin: string, setting: Setting<unknown>): EltError {
  return new EltError(`${origin}: must be ${setting.value.describe} (see --help)`, ExitCode.usage);
}

/** A text from `origin` (`--flag value` or `NAME=value`), parsed, or a one-line usage error naming it. */
function parsed<T>(setting: Setting<T>, text: string, origin: (shown: string) => string): T {
  const value = text.length > MAX_SETTING_CHARS ? undefined : setting.value.parse(text);
  if (value === undefined) throw refuse(origin(shownValue(text)), setting as Setting<unknown>);
  return value;
}

/** The flag's value, if the flags hold one (an empty text given on purpose, `--timeout=`, is refused as any bad text is). */
function fromFlag<T>(setting: Setting<T>, flags: Readonly<Record<string, unknown>>): T | undefined {
  if (setting.flag === undefined || !Object.hasOwn(flags, setting.flag)) return undefined;
  const given = flags[setting.flag];
  const origin = (shown: string) => `--${setting.flag} ${shown}`;
  if (setting.value.isSwitch) return given === true ? (true as T) : undefined;
  if (setting.value.repeatable) {
    const texts = Array.isArray(given) ? given : given === undefined ? [] : [given];
    if (texts.length === 0) return undefined;
    return texts.flatMap((text) => parsed(setting as Setting<unknown[]>, String(text), origin)) as T;
  }
  if (typeof given !== 'string') return undefined;
  return parsed(setting, given, origin);
}

/** The first of the setting's environment variables that is set (and not empty), parsed. */
function fromEnv<T>(setting: Setting<T>, env: NodeJS.ProcessEnv): T | undefined {
  for (const name of setting.env ?? []) {
    const text = env[name];
    if (text !== undefined && text !== '') return parsed(setting, text, (shown) => `${name}=${shown}`);
  }
  return undefined;
}

/**
 * A setting's value: its flag, else its environment variable, else the project file's
 * key, else its default (a stored setting: undefined, the stored value stays). A value
 * that is not allowed is a usage error (exit 2) naming where it came from and what is allowed.
 *
 * @example resolveSetting('concurrency', { flags: { concurrency: '4' } }) === 4
 */
export function resolveSetting<K extends SettingKey>(key: K, sources: SettingSources): SettingValue<K> {
  const setting = SETTINGS[key] as Setting<unknown>;
  const value =
    fromFlag(setting, sources.flags ?? {}) ??
    fromEnv(setting, sources.env ?? {}) ??
    (sources.project && Object.hasOwn(sources.project.values, key) ? sources.project.values[key] : undefined) ??
    (setting.stored ? undefined : setting.default);
  return value as SettingValue<K>;
}

/** The values of `keys`, each resolved and checked at once: the first bad one is the error. */
export type ResolvedSettings<K extends SettingKey> = { readonly [P in K]: SettingValue<P> };

export function resolveSettings<K extends SettingKey>(keys: readonly K[], sources: SettingSources): ResolvedSettings<K> {
  const values: Partial<Record<K, unknown>> = {};
  for (const key of keys) values[key] = resolveSetting(key, sources);
  return values as ResolvedSettings<K>;
}
