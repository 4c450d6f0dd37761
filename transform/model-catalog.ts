import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EltError, ExitCode } from '../core/errors';
import { columnList, parseHeader, setting, settingsOf, sqlCode } from './model-header';
import { defaultKindOf, isModelKind, MODEL_KIND_NAMES, MODEL_KINDS, SWAP_SUFFIX, type ModelKindName } from './model-kinds';
import { MODEL_SCHEMAS, type ModelSchema } from './model-layers';
import { SOURCE_VIEW_SUFFIX, sourceViewOf } from './source-views';

export { MODEL_SCHEMAS } from './model-layers';

/** One SQL model: a `select` in `models/<schema>/<name>.sql`, plus its header settings. */
export interface Model {
  /** schema-qualified relation name, e.g. marts.article_performance */
  name: string;
  schema: string;
  relation: string;
  path: string;
  sql: string;
  /** its kind (transform/model-kinds.ts): what the build makes of it and what a refresh does */
  materialized: ModelKindName;
  uniqueKey: string[];
  /** columns that must never be NULL (header `-- not_null:`; the unique key's columns always are) */
  notNull: string[];
  /** incremental models: `load_id` (rows per load) or the one column whose changed values are recomputed */
  incrementalBy?: string;
  /**
   * incremental by key with a lower bound (`-- incremental_by: article_id, date`): the column
   * from whose earliest changed value on a changed key's rows are recomputed (the rows
   * before it are kept); undefined: a changed key's rows are recomputed whole
   */
  incrementalSince?: string;
  /** incremental by key: the header's `incremental_from` as written (see `inputs`) */
  incrementalFrom?: string;
  /**
   * incremental by key: the upstream incremental models whose changed rows name the keys
   * to recompute, each with the upstream column that holds the key (header
   * `-- incremental_from: a.b (event_date), c.d`; a bare name: the column is incremental_by),
   * and for a model with a lower bound the column holding it (`a.b (article_id, event_date)`;
   * default: the bound's own name)
   */
  inputs: { upstream: string; column: string; sinceColumn?: string }[];
  /** extra indexes (header lines `-- index: a, b`), each a list of columns */
  indexes: string[][];
  /** incremental models: the view holding the model's query, which its table is filled from */
  sourceView?: string;
  /** the header lines that are not settings (what the model is, its grain): `comment on` the relation */
  description: string;
  /** header lines `-- column <name>: <text>`: `comment on column` */
  columns: { name: string; description: string }[];
  /** header lines `-- expect <name>: <boolean expression>`: each a data test, true on every row */
  expectations: { name: string; expression: string }[];
  /** models this one selects from (found as schema-qualified names in its SQL) */
  dependsOn: string[];
  /**
   * sha256 of what changes the data: the SQL without comments or layout, and the settings
   * a rebuild applies (kind, key, indexes, incremental settings). Descriptions, not_null
   * and expectations are not in it: changing them rebuilds nothing.
   */
  checksum: string;
  /** the checksum earlier versions stored (of the whole file): a model built by them is not rebuilt for it */
  legacyChecksum: string;
}

/**
 * What `elt refresh` brings up to date and reports, and `elt status` lists: the models
 * whose kind a refresh updates in their layer (transform/model-kinds.ts: every
 * materialized view, the incremental tables of the marts layer).
 */
export const isRefreshTarget = (model: Pick<Model, 'materialized' | 'schema'>): boolean =>
  MODEL_KINDS[model.materialized].refreshTargetIn.some((schema) => schema === model.schema);

/** The suffixes of the relations the build makes beside a model (its source view, its table being rebuilt): no model may end in one. */
const HELPER_SUFFIXES = [SWAP_SUFFIX, SOURCE_VIEW_SUFFIX];
/**
 * The longest model name: Postgres cuts names at 63 bytes, and the build derives names
 * from a model's (`<name>__new_unique_key`, the longest): cut, two could be the same.
 */
export const MAX_MODEL_NAME = 63 - `${SWAP_SUFFIX}_unique_key`.length;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const INPUT = /^([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)(?:\s*\(\s*([a-z_][a-z0-9_]*)\s*(?:,\s*([a-z_][a-z0-9_]*)\s*)?\))?$/;

/**
 * `a.b (col), c.d`: each upstream model, with the column of its rows that holds this model's
 * key (default: the key's own name) and, for a model with a lower bound, the column holding
 * the bound (`a.b (col, day)`; default: the bound's own name).
 */
function parseInputs(name: string, text: string, incrementalBy: string, since: string | undefined): Model['inputs'] {
  // commas inside the parentheses separate an input's columns, the others the inputs
  const parts: string[] = [''];
  let depth = 0;
  for (const char of text) {
    if (char === ',' && depth === 0) parts.push('');
    else parts[parts.length - 1] += char;
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
  }
  return parts.map((part) => {
    const match = INPUT.exec(part.trim());
    if (!match || (match[3] !== undefined && since === undefined)) {
      throw new EltError(
        `model ${name}: incremental_from "${part.trim()}" is not "<schema>.<model>" or "<schema>.<model> (<its key column>)"` +
          (since === undefined ? '' : ` or "<schema>.<model> (<its key column>, <its ${since} column>)"`),
        ExitCode.modelFailed,
      );
    }
    return {
      upstream: match[1] as string,
      column: match[2] ?? incrementalBy,
      ...(since === undefined ? {} : { sinceColumn: match[3] ?? since }),
    };
  });
}

/** A model's file name: a lower-case SQL identifier, short enough for the names derived from it, not one of theirs. */
function checkRelationName(path: string, relation: string): void {
  if (!IDENTIFIER.test(relation)) {
    throw new EltError(`model ${path}: file name must be a lower-case SQL identifier`, ExitCode.modelFailed);
  }
  if (HELPER_SUFFIXES.some((suffix) => relation.endsWith(suffix))) {
    throw new EltError(
      `model ${path}: a model name may not end in ${HELPER_SUFFIXES.join(' or ')} (the build names the relations it makes beside a model so)`,
      ExitCode.modelFailed,
    );
  }
  if (relation.length > MAX_MODEL_NAME) {
    throw new EltError(
      `model ${path}: a model name has at most ${MAX_MODEL_NAME} characters (${relation.length} here): Postgres cuts the names the build derives from it at 63`,
      ExitCode.modelFailed,
    );
  }
}

function readModel(schema: ModelSchema, path: string): Omit<Model, 'dependsOn'> {
  const relation = basename(path, '.sql');
  const name = `${schema}.${relation}`;
  checkRelationName(path, relation);
  const sql = readFileSync(path, 'utf8').trim().replace(/;\s*$/, '');
  const header = parseHeader(sql);
  const materialized = setting(header, 'materialized') ?? defaultKindOf(schema);
  if (!isModelKind(materialized)) {
    const names = `${MODEL_KIND_NAMES.slice(0, -1).join(', ')} or ${MODEL_KIND_NAMES.at(-1)}`;
    throw new EltError(`model ${name}: materialized must be ${names}, not "${materialized}"`, ExitCode.modelFailed);
  }
  const kind = MODEL_KINDS[materialized];
  const uniqueKey = columnList(setting(header, 'unique_key'));
  if (kind.keyRequired && uniqueKey.length === 0) {
    throw new EltError(`model ${name}: a ${materialized} model needs a "-- unique_key: ..." header line`, ExitCode.modelFailed);
  }
  if (!kind.incrementalInputs && (setting(header, 'incremental_by') !== undefined || setting(header, 'incremental_from') !== undefined)) {
    throw new EltError(
      `model ${name}: a ${materialized} model takes no incremental_by or incremental_from (only ${MODEL_KIND_NAMES.filter((other) => MODEL_KINDS[other].incrementalInputs).join(', ')} models do)`,
      ExitCode.modelFailed,
    );
  }
  const byColumns = columnList(kind.incrementalInputs ? (setting(header, 'incremental_by') ?? 'load_id') : undefined);
  const [incrementalBy, incrementalSince] = byColumns;
  if (
    byColumns.length > 2 ||
    byColumns.some((column) => !IDENTIFIER.test(column)) ||
    (incrementalBy === 'load_id' && incrementalSince !== undefined)
  ) {
    throw new EltError(
      `model ${name}: incremental_by must be load_id, a key column, or a key column and the column bounding it ("article_id, date"), not "${byColumns.join(', ')}"`,
      ExitCode.modelFailed,
    );
  }
  const incrementalFrom = kind.incrementalInputs ? setting(header, 'incremental_from') : undefined;
  if (incrementalBy !== undefined && incrementalBy !== 'load_id' && !incrementalFrom) {
    throw new EltError(`model ${name}: incremental_by ${incrementalBy} needs "-- incremental_from: <by-load model>"`, ExitCode.modelFailed);
  }
  const inputs = incrementalFrom ? parseInputs(name, incrementalFrom, incrementalBy as string, incrementalSince) : [];
  const indexes = settingsOf(header, 'index').map((line) => columnList(line.value));
  if (`${relation}${SWAP_SUFFIX}_index_${indexes.length}`.length > 63) {
    throw new EltError(`model ${name}: ${indexes.length} index lines make index names longer than Postgres' 63 bytes`, ExitCode.modelFailed);
  }
  const notNull = [...new Set([...uniqueKey, ...columnList(setting(header, 'not_null'))])];
  const named = (key: 'column' | 'expect') =>
    settingsOf(header, key).map((line) => {
      if (!line.name || !line.value) {
        throw new EltError(`model ${name} (${path}) line ${line.line}: write "-- ${key} <name>: <text>"`, ExitCode.modelFailed);
      }
      return { name: line.name, text: line.value };
    });
  const columns = named('column').map(({ name: column, text }) => ({ name: column, description: text }));
  const expectations = named('expect').map(({ name: label, text }) => ({ name: label, expression: text }));
  const built = {
    materialized,
    uniqueKey,
    indexes,
    incrementalBy: incrementalBy ?? null,
    // only when set, so that the checksum of a model without a bound is what it was
    ...(incrementalSince === undefined ? {} : { incrementalSince }),
    incrementalFrom: incrementalFrom ?? null,
    sql: sqlCode(sql),
  };
  const checksum = createHash('sha256').update(JSON.stringify(built)).digest('hex');
  const legacyChecksum = createHash('sha256')
    .update(`${materialized}\n${uniqueKey.join(',')}\n${sql}`)
    .digest('hex');
  return {
    name,
    schema,
    relation,
    path,
    sql,
    materialized,
    uniqueKey,
    notNull,
    incrementalBy,
    ...(incrementalSince === undefined ? {} : { incrementalSince }),
    incrementalFrom,
    inputs,
    indexes,
    ...(kind.fill === 'by-engine' ? { sourceView: sourceViewOf(name) } : {}),
    description: header.description,
    columns,
    expectations,
    checksum,
    legacyChecksum,
  };
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
    return readdirSync(join(dir, schema))
      .filter((file) => file.endsWith('.sql'))
      .sort();
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return [];
    throw new EltError(`models folder ${dir}: cannot read ${schema}/: ${err instanceof Error ? err.message : String(err)}`, ExitCode.usage, {
      cause: err,
    });
  }
}

/** Refuses (exit 2, one line) a models folder that does not exist or is not a folder. */
export function checkModelsFolderExists(dir: string): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch {
    throw new EltError(`models folder ${dir} does not exist`, ExitCode.usage);
  }
  if (!isFolder) throw new EltError(`models folder ${dir} is not a folder`, ExitCode.usage);
}

/**
 * Refuses a models folder that does not exist, is not a folder, or holds no model:
 * a mistyped `--models` must never read as "every model was removed" (and drop them all).
 */
function checkModelsFolder(dir: string, files: string[][]): void {
  checkModelsFolderExists(dir);
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
    const referenced = [
      ...sqlCode(model.sql)
        .replace(/'(?:[^']|'')*'/g, "''")
        .matchAll(reference),
    ].map((match) => `${match[1]}.${match[2]}`);
    for (const name of referenced) {
      if (!names.has(name)) throw new EltError(`model ${model.name} reads ${name}, which is not a model`, ExitCode.modelFailed);
    }
    const dependsOn = [...new Set(referenced)].filter((name) => name !== model.name);
    return { ...model, dependsOn };
  });
  refuseSharedSourceViews(withDependencies);
  return topologicalOrder(withDependencies);
}

/** Two models whose source views would have one name (a cut long name and one spelled like it): refused, naming both. */
function refuseSharedSourceViews(models: Model[]): void {
  const owners = new Map<string, string>();
  for (const model of models) {
    if (model.sourceView === undefined) continue;
    const other = owners.get(model.sourceView);
    if (other !== undefined) {
      throw new EltError(
        `models ${other} and ${model.name} would share the source view ${model.sourceView} (a long name is cut to fit 63 bytes): rename one`,
        ExitCode.modelFailed,
      );
    }
    owners.set(model.sourceView, model.name);
  }
}

/** The names of `changed` models and of every model downstream of them, in build order. */
export function withDownstream(models: Model[], changed: Set<string>): string[] {
  const affected = new Set(changed);
  for (const model of models) {
    if (model.dependsOn.some((dependency) => affected.has(dependency))) affected.add(model.name);
  }
  return models.filter((model) => affected.has(model.name)).map((model) => model.name);
}
