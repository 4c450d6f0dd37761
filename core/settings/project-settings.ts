import { closestName } from '../closest-name';
import { EltError, ExitCode } from '../errors';
import { SETTINGS, SETTING_KEYS, type SettingKey } from './declared-settings';
import type { Setting } from './setting';

/** The settings a project file sets, each checked: by setting key. */
export interface ProjectSettings {
  /** the file, for messages */
  file: string;
  values: Partial<Record<SettingKey, unknown>>;
}

/** The declared project-file keys: 'timeZone', 'freshness.warnAfter', ... with their setting. */
const PROJECT_KEYS = new Map(
  SETTING_KEYS.flatMap((key) => {
    const projectKey = (SETTINGS[key] as Setting<unknown>).projectKey;
    return projectKey === undefined ? [] : [[projectKey, key] as const];
  }),
);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The settings of a parsed elt.project.json: every key that is no setting and not one
 * of `ownKeys` (what the project reader takes itself: name, sources) is refused with
 * the closest known key, and every setting's value is checked against its declaration.
 * A usage error (exit 2) names the file and the key.
 */
export function projectSettings(config: unknown, file: string, ownKeys: readonly string[]): ProjectSettings {
  const problem = (what: string) => new EltError(`${file}: ${what}`, ExitCode.usage);
  if (!isObject(config)) throw problem('must hold one JSON object { "name": ..., "sources": [...] }');
  const groups = new Set([...PROJECT_KEYS.keys()].filter((key) => key.includes('.')).map((key) => key.slice(0, key.indexOf('.'))));
  const topKeys = [...ownKeys, ...[...PROJECT_KEYS.keys()].filter((key) => !key.includes('.')), ...groups];
  const values: Partial<Record<SettingKey, unknown>> = {};
  const take = (projectKey: string, value: unknown, known: readonly string[]) => {
    const key = PROJECT_KEYS.get(projectKey);
    if (key === undefined) {
      const near = closestName(projectKey, known);
      throw problem(`unknown key ${JSON.stringify(projectKey.slice(0, 64))}${near ? ` (did you mean "${near}"?)` : ''}`);
    }
    const setting = SETTINGS[key] as Setting<unknown>;
    const checked = setting.value.fromJson(value);
    if (checked === undefined) throw problem(`${projectKey} must be ${setting.value.describe}`);
    values[key] = checked;
  };
  for (const [name, value] of Object.entries(config)) {
    if (ownKeys.includes(name)) continue;
    if (groups.has(name)) {
      const inGroup = [...PROJECT_KEYS.keys()].filter((key) => key.startsWith(`${name}.`));
      if (!isObject(value)) throw problem(`"${name}" must be an object with ${inGroup.map((key) => `"${key.slice(name.length + 1)}"`).join(', ')}`);
      for (const [inner, innerValue] of Object.entries(value)) take(`${name}.${inner}`, innerValue, inGroup);
    } else take(name, value, topKeys);
  }
  return { file, values };
}
