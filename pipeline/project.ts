import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_FORMAT, isLakeFormat, type LakeFormat } from '../loader/formats';
import { isS3Uri } from '../loader/sources/s3/s3-uri';
import { isNatsUri, parseNatsUri } from '../loader/stream/nats-uri';
import { STREAM_FORMATS, type StreamFormat } from '../loader/stream/parse-messages';
import { describeError, EltError, ExitCode } from '../core/errors';
import { projectRoot } from '../core/package-root';
import { projectSettings, type ProjectSettings } from '../core/settings/project-settings';
import { readRegularFile } from '../core/trusted-path';
import { CLICKSTREAM_OUTPUTS, parseOutputs, type ProjectOutput } from './project-outputs';

/** Where a project's events come from. */
export interface ProjectSource {
  /** a directory or file (relative to the project folder in its config), or s3://bucket/prefix/ */
  location: string;
  format: LakeFormat;
}

/** A stream a project's events come from (a `nats://HOST:PORT/STREAM` source): `elt stream` consumes it, `elt run` does not. */
export interface ProjectStream {
  /** the normalized URI: nats://host:port/STREAM */
  uri: string;
  format: StreamFormat;
}

/**
 * A pipeline: its sources, its models and its settings. The clickstream pipeline
 * is the default project; `--project <dir>` runs another one, described by
 * `<dir>/elt.project.json` next to its `models/`.
 */
export interface Project {
  name: string;
  modelsDir: string;
  /** the file (and s3://) sources: what `elt run` and `elt load` list and load */
  sources: ProjectSource[];
  /** the stream sources (nats://): what `elt stream` consumes (none when left out) */
  streams?: ProjectStream[];
  /** the settings its elt.project.json sets (time zone, session gap, freshness: see core/settings), checked */
  settings?: ProjectSettings;
  /** the database the embedded Postgres gives it (each project its own: their models would collide) */
  database: string;
  /** what `elt run` writes besides the summary (pipeline/project-outputs.ts) */
  outputs: ProjectOutput[];
}

export const DEFAULT_PROJECT_NAME = 'clickstream';
const CONFIG_FILE = 'elt.project.json';
const NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** A project file is a few lines: a larger one (or a device, a FIFO) is refused unread. */
const MAX_CONFIG_BYTES = 1024 * 1024;

interface ProjectConfig {
  name?: unknown;
  sources?: unknown;
  outputs?: unknown;
}

/**
 * Reads `<dir>/elt.project.json`, once: its name and sources here, its settings checked
 * against their declarations (core/settings); a missing, oversized or malformed config,
 * or a key that is no setting, is a usage error naming the file.
 */
export function readProject(dir: string): Project {
  const file = join(resolve(dir), CONFIG_FILE);
  if (!existsSync(file)) throw new EltError(`no project at ${dir}: ${file} does not exist`, ExitCode.usage);
  let config: ProjectConfig;
  try {
    config = JSON.parse(readRegularFile(file, MAX_CONFIG_BYTES).toString('utf8')) as ProjectConfig;
  } catch (err) {
    if (err instanceof EltError) throw err;
    throw new EltError(`${file} is not valid JSON: ${describeError(err)}`, ExitCode.usage);
  }
  const settings = projectSettings(config, file, ['name', 'sources', 'outputs']);
  const problem = (what: string) => new EltError(`${file}: ${what}`, ExitCode.usage);
  if (typeof config.name !== 'string' || !NAME.test(config.name)) throw problem('"name" must be a lower-case identifier, e.g. "web_activity"');
  if (!Array.isArray(config.sources) || config.sources.length === 0) throw problem('"sources" must list at least one { "location", "format" }');
  const sources: ProjectSource[] = [];
  const streams: ProjectStream[] = [];
  config.sources.forEach((source: unknown, index) => {
    const { location, format } = (source ?? {}) as { location?: unknown; format?: unknown };
    if (typeof location !== 'string' || location === '') throw problem(`sources[${index}].location must be a path, an s3:// or a nats:// URI`);
    if (isNatsUri(location)) {
      if (typeof format !== 'string' || !STREAM_FORMATS.includes(format as StreamFormat))
        throw problem(
          `sources[${index}].format must be ${STREAM_FORMATS.join(' or ')} for a stream (${location}): a message is one line or one object`,
        );
      let uri: string;
      try {
        uri = parseNatsUri(location).uri;
      } catch (err) {
        throw problem(`sources[${index}].location: ${describeError(err)}`);
      }
      streams.push({ uri, format: format as StreamFormat });
      return;
    }
    if (typeof format !== 'string' || !isLakeFormat(format)) throw problem(`sources[${index}].format must be tsv-lake, csv or ndjson`);
    sources.push({ location: isS3Uri(location) ? location : resolve(dir, location), format });
  });
  return {
    name: config.name,
    modelsDir: join(resolve(dir), 'models'),
    sources,
    streams,
    settings,
    database: config.name,
    outputs: parseOutputs(config.outputs, problem),
  };
}

/** The clickstream pipeline: the package's models (or `modelsDir`), the lake at `source` (tsv-lake). */
export function clickstreamProject(options: { source?: string; modelsDir?: string } = {}): Project {
  return {
    name: DEFAULT_PROJECT_NAME,
    modelsDir: options.modelsDir ?? join(projectRoot(), 'models'),
    sources: options.source ? [{ location: options.source, format: DEFAULT_FORMAT }] : [],
    streams: [],
    database: 'postgres',
    outputs: [...CLICKSTREAM_OUTPUTS],
  };
}
