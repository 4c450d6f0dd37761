import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EltError, ExitCode } from '../core/errors';

export type Materialization = 'view' | 'materialized_view' | 'incremental';

/** One SQL model: a `select` in `models/<schema>/<name>.sql`, plus its header settings. */
export interface Model {
  /** schema-qualified relation name, e.g. marts.article_performance */
  name: string;
  schema: string;
  relation: string;
  path: string;
  sql: string;
  materialized: Materialization;
  uniqueKey: string[];
  /** columns that must never be NULL (header `-- not_null:`; the unique key's columns always are) */
  notNull: string[];
  /** incremental models: `load_id` (rows per load) or the one column whose changed values are recomputed */
  incrementalBy?: string;
  /** incremental by key: the by-load model whose changed rows name the keys to recompute */
  incrementalFrom?: string;
  /** extra indexes (header lines `-- index: a, b`), each a list of columns */
  indexes: string[][];
  /** models this one selects from (found as schema-qualified names in its SQL) */
  dependsOn: string[];
  /** sha256 of what is built: the SQL and its settings */
  checksum: string;
}

/** Layers in build order; a model may only read from its own layer or earlier ones. */
export const MODEL_SCHEMAS = ['staging', 'intermediate', 'marts'] as const;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function headerSetting(sql: string, key: string): string | undefined {
  const match = new RegExp(`^--\\s*${key}:\\s*(.+)$`, 'm').exec(sql);
  return match?.[1]?.trim();
}

function columnList(setting: string | undefined): string[] {
  return (setting ?? '').split(',').map((column) => column.trim()).filter(Boolean);
}

function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

function readModel(schema: string, path: string): Omit<Model, 'dependsOn'> {
  const relation = basename(path, '.sql');
  const name = `${schema}.${relation}`;
  if (!IDENTIFIER.test(relation)) {
    throw new EltError(`model ${path}: file name must be a lower-case SQL identifier`, ExitCode.modelFailed);
  }
  const sql = readFileSync(path, 'utf8').trim().replace(/;\s*$/, '');
  const materialized = headerSetting(sql, 'materialized') ?? (schema === 'marts' ? 'materialized_view' : 'view');
  if (materialized !== 'view' && materialized !== 'materialized_view' && materialized !== 'incremental') {
    throw new EltError(`model ${name}: materialized must be view, materialized_view or incremental, not "${materialized}"`, ExitCode.modelFailed);
  }
  const uniqueKey = columnList(headerSetting(sql, 'unique_key'));
  if (materialized !== 'view' && uniqueKey.length === 0) {
    throw new EltError(`model ${name}: a ${materialized} model needs a "-- unique_key: ..." header line`, ExitCode.modelFailed);
  }
  const incrementalBy = materialized === 'incremental' ? (headerSetting(sql, 'incremental_by') ?? 'load_id') : undefined;
  const incrementalFrom = materialized === 'incremental' ? headerSetting(sql, 'incremental_from') : undefined;
  if (incrementalBy !== undefined && incrementalBy !== 'load_id' && !incrementalFrom) {
    throw new EltError(`model ${name}: incremental_by ${incrementalBy} needs "-- incremental_from: <by-load model>"`, ExitCode.modelFailed);
  }
  const indexes = [...sql.matchAll(/^--\s*index:\s*(.+)$/gm)].map((match) => columnList(match[1]));
  const notNull = [...new Set([...uniqueKey, ...columnList(headerSetting(sql, 'not_null'))])];
  const checksum = createHash('sha256').update(`${materialized}\n${uniqueKey.join(',')}\n${sql}`).digest('hex');
  return { name, schema, relation, path, sql, materialized, uniqueKey, notNull, incrementalBy, incrementalFrom, indexes, checksum };
}

/** Orders models so each comes after the models it reads (layer, then name, breaks ties). */
function topologicalOrder(models: Model[]): Model[] {
  const byName = new Map(models.map((model) => [model.name, model]));
  const ordered: Model[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (model: Model, path: string[]): void => {
    if (state.get(model.name) === 'done') return;
    if (state.get(model.name) === 'visiting') {
      throw new EltError(`models form a cycle: ${[...path, model.name].join(' -> ')}`, ExitCode.modelFailed);
    }
    state.set(model.name, 'visiting');
    for (const dependency of model.dependsOn) visit(byName.get(dependency) as Model, [...path, model.name]);
    state.set(model.name, 'done');
    ordered.push(model);
  };
  for (const model of models) visit(model, []);
  return ordered;
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
}

/** The `.sql` files of one layer's folder; none when the layer has no folder. */
function layerFiles(dir: string, schema: string): string[] {
  try {
    return readdirSync(join(dir, schema)).filter((file) => file.endsWith('.sql')).sort();
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return [];
    throw new EltError(`models folder ${dir}: cannot read ${schema}/: ${err instanceof Error ? err.message : String(err)}`, ExitCode.usage, { cause: err });
  }
}

/**
 * Refuses a models folder that does not exist, is not a folder, or holds no model:
 * a mistyped `--models` must never read as "every model was removed" (and drop them all).
 */
function checkModelsFolder(dir: string, files: string[][]): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch {
    throw new EltError(`models folder ${dir} does not exist`, ExitCode.usage);
  }
  if (!isFolder) throw new EltError(`models folder ${dir} is not a folder`, ExitCode.usage);
  if (files.every((layer) => layer.length === 0)) {
    throw new EltError(`models folder ${dir} holds no model (no *.sql in ${MODEL_SCHEMAS.map((schema) => `${schema}/`).join(', ')})`, ExitCode.usage);
  }
}

/**
 * Reads every model under `dir` (`staging/*.sql`, `intermediate/*.sql`, then `marts/*.sql`)
 * and returns them in build order, each with its dependencies on other models.
 * A folder that does not exist, is not a folder or holds no model is a usage error
 * (exit 2), so every reader (build, refresh, test, status) refuses it before touching anything.
 */
export function readModels(dir: string): Model[] {
  const files = MODEL_SCHEMAS.map((schema) => layerFiles(dir, schema));
  checkModelsFolder(dir, files);
  const models = MODEL_SCHEMAS.flatMap((schema, layer) => (files[layer] ?? []).map((file) => readModel(schema, join(dir, schema, file))));
  const names = new Set(models.map((model) => model.name));
  const reference = new RegExp(`\\b(${MODEL_SCHEMAS.join('|')})\\.([a-z_][a-z0-9_]*)\\b`, 'g');
  const withDependencies = models.map((model) => {
    const referenced = [...withoutComments(model.sql).matchAll(reference)].map((match) => `${match[1]}.${match[2]}`);
    for (const name of referenced) {
      if (!names.has(name)) throw new EltError(`model ${model.name} reads ${name}, which is not a model`, ExitCode.modelFailed);
    }
    const dependsOn = [...new Set(referenced)].filter((name) => name !== model.name);
    return { ...model, dependsOn };
  });
  return topologicalOrder(withDependencies);
}

/** The names of `changed` models and of every model downstream of them, in build order. */
export function withDownstream(models: Model[], changed: Set<string>): string[] {
  const affected = new Set(changed);
  for (const model of models) {
    if (model.dependsOn.some((dependency) => affected.has(dependency))) affected.add(model.name);
  }
  return models.filter((model) => affected.has(model.name)).map((model) => model.name);
}
