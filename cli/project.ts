import type { SettingKey } from '../core/settings/declared-settings';
import { resolveSetting, resolveSettings } from '../core/settings/resolve-settings';
import { clickstreamProject, readProject } from '../pipeline/project';
import type { CommandInput, Options } from './command';

/**
 * A command's settings and project: `--project <dir>` (its elt.project.json read once),
 * else the clickstream pipeline (its source from --source / ELT_SOURCE, its models from
 * --models); every setting in `keys` resolved from the flags, the environment and the
 * project file, and checked.
 */
export function commandInput<K extends SettingKey>(keys: readonly K[], options: Options, env: NodeJS.ProcessEnv): CommandInput<K> {
  const takes = (key: SettingKey): boolean => (keys as readonly SettingKey[]).includes(key);
  const dir = takes('project') ? resolveSetting('project', { flags: options }) : undefined;
  const file = dir === undefined ? undefined : readProject(dir);
  const settings = resolveSettings(keys, { flags: options, env, project: file?.settings });
  const read = (key: 'source' | 'models'): string | undefined =>
    takes(key) ? (resolveSetting(key, { flags: options, env }) ?? undefined) : undefined;
  return { settings, project: file ?? clickstreamProject({ source: read('source'), modelsDir: read('models') }), options };
}
