import type { Options } from './command';
import { clickstreamProject, readProject, type Project } from '../pipeline/project';

/** The project a command works on: `--project <dir>`, else the clickstream pipeline (its source from --source / ELT_SOURCE). */
export function projectOf(options: Options, env: NodeJS.ProcessEnv): Project {
  const dir = options.project as string | undefined;
  if (dir) return readProject(dir);
  return clickstreamProject({ source: (options.source as string | undefined) ?? env.ELT_SOURCE, modelsDir: options.models as string | undefined });
}
