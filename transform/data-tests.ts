import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Pool } from 'pg';
import { changedKeys, loadsFinishedSince } from './changed-keys';
import { MODEL_SCHEMAS, readModels, type Model } from './model-catalog';
import { MODEL_KINDS } from './model-kinds';
import { columnList, columnsOf, parseHeader, setting, sqlCode } from './model-header';
import { readingEnvironment, type ReadEnvironment } from './environment-sql';

/** A data test: a query returning the rows that break an invariant (none: the test passes). */
export interface DataTest {
  name: string;
  /** the model(s) it guards */
  model: string;
  /** the models it belongs to (`elt test --select` picks it when it selects one): its model, or those a singular test names or reads */
  reads: string[];
  description: string;
  sql: string;
  /** the test reads a staging view, so it re-parses every raw event: `elt test` runs it, `elt run` does not */
  scansRaw: boolean;
  /** a test of an incremental model by load whose offending rows carry load_id: it can be limited to new loads */
  byLoad?: boolean;
}

export interface DataTestResult {
  test: DataTest;
  failures: number;
  /** up to SAMPLE_ROWS offending rows */
  sample: Record<string, unknown>[];
  ms: number;
  /** set when the query itself failed (e.g. a mart is missing) */
  error?: string;
  /** set when the test was not run: this login may not read what it queries (a reader, a staging view); failures is then 0 */
  skipped?: string;
  /** which rows it read: all of them, those of the new loads (a by-load table), or those of the keys they changed (a by-key model) */
  scope: DataTestScope;
}

/** Which rows a data test read (see runDataTests' `loadsSince`). */
export type DataTestScope = 'all rows' | 'new loads' | 'changed keys';

/** Postgres' SQLSTATE for "permission denied" (insufficient_privilege). */
const INSUFFICIENT_PRIVILEGE = '42501';

/** Why a test was skipped, from Postgres' "permission denied for schema staging": "this login may not read staging". */
function skipReason(message: string): string {
  const denied = /permission denied for \w+ ([^\s]+)/.exec(message);
  return `this login may not read ${denied?.[1] ?? 'what it queries'} (${message})`;
}

const SAMPLE_ROWS = 5;

/**
 * The generic tests every model gets from its header: key unique, required columns
 * not null, and one per `-- expect <name>: <boolean expression>` line (dbt's
 * `expression_is_true`): the rows where the expression is not true (false or NULL)
 * fail, shown with their key and the columns the expression reads. Which of them a
 * model gets is its kind's (transform/model-kinds.ts): a kind whose key is a unique index
 * (tables, materialized views) already refuses duplicates, so only views get the (then
 * redundant) uniqueness test.
 */
function genericTests(model: Model): DataTest[] {
  const tests: DataTest[] = [];
  const applies = MODEL_KINDS[model.materialized].dataTests;
  const byLoad = MODEL_KINDS[model.materialized].incrementalInputs && model.incrementalBy === 'load_id';
  if (model.uniqueKey.length > 0 && applies.includes('unique_key')) {
    const key = model.uniqueKey.join(', ');
    tests.push({
      name: `${model.name}.unique_key`,
      model: model.name,
      reads: [model.name],
      description: `(${key}) is unique`,
      sql: `select ${key}, count(*) as copies from ${model.name} group by ${key} having count(*) > 1`,
      scansRaw: model.schema === 'staging',
    });
  }
  if (model.notNull.length > 0 && applies.includes('not_null')) {
    tests.push({
      name: `${model.name}.not_null`,
      model: model.name,
      reads: [model.name],
      description: `${model.notNull.join(', ')} never NULL`,
      sql: `select * from ${model.name} where ${model.notNull.map((column) => `${column} is null`).join(' or ')}`,
      scansRaw: model.schema === 'staging',
      byLoad,
    });
  }
  for (const expectation of applies.includes('expect') ? model.expectations : []) {
    const columns = [...new Set([...model.uniqueKey, ...columnsOf(expectation.expression)])];
    tests.push({
      name: `${model.relation}_${expectation.name}`,
      model: model.name,
      reads: [model.name],
      description: expectation.expression,
      sql: `select ${columns.join(', ') || '*'} from ${model.name} where (${expectation.expression}) is not true`,
      scansRaw: model.schema === 'staging',
      byLoad: byLoad && columns.includes('load_id'),
    });
  }
  return tests;
}

/** The models a singular test belongs to: those its `-- model:` line names and those its SQL reads. */
function modelsOfTest(sql: string, named: string | undefined, models: ReadonlySet<string>): string[] {
  const reference = new RegExp(`\\b(?:${MODEL_SCHEMAS.join('|')})\\.[a-z_][a-z0-9_]*\\b`, 'g');
  const read = [
    ...sqlCode(sql)
      .replace(/'(?:[^']|'')*'/g, "''")
      .matchAll(reference),
  ].map((match) => match[0]);
  return [...new Set([...columnList(named), ...read])].filter((name) => models.has(name));
}

/** The tests kept next to the models: `<models>/tests/*.sql`, each with `-- test:` and `-- model:` header lines. */
function singularTests(dir: string, models: ReadonlySet<string>): DataTest[] {
  let files: string[];
  try {
    files = readdirSync(join(dir, 'tests'))
      .filter((file) => file.endsWith('.sql'))
      .sort();
  } catch {
    return [];
  }
  return files.map((file) => {
    const sql = readFileSync(join(dir, 'tests', file), 'utf8')
      .trim()
      .replace(/;\s*$/, '');
    const header = parseHeader(sql);
    return {
      name: basename(file, '.sql'),
      model: setting(header, 'model') ?? '(unknown model)',
      reads: modelsOfTest(sql, setting(header, 'model'), models),
      description: setting(header, 'test') ?? basename(file, '.sql'),
      sql,
      scansRaw: /\bstaging\./.test(sql),
    };
  });
}

/** Every data test of a model folder: the generic ones of each model, then the singular ones. */
export function readDataTests(dir: string): DataTest[] {
  const models = readModels(dir);
  return [...models.flatMap(genericTests), ...singularTests(dir, new Set(models.map((model) => model.name)))];
}

/**
 * Runs the data tests (read-only queries) and returns each with its count of
 * offending rows and a few of them. A test whose query fails counts as failed, but one
 * this login may not run (permission denied: a reader on a staging view) is `skipped`.
 * `skipRawScans` leaves out the tests that re-read all raw events. `loadsSince` (what
 * `elt run` passes) makes a run's tests follow its new data, the loads finished since
 * then: a by-load table's tests read the rows of those loads, and a test of one by-key
 * model (its generic tests, a singular test reading only it) whose rows carry the model's
 * key reads the keys those loads changed (transform/changed-keys.ts), each through its
 * key's index; `elt test` runs them all, on all rows.
 * `models` (`elt test --select`) keeps the tests that belong to one of them (dbt's eager
 * selection: a test reading a selected model and others runs too).
 * `environment` (`elt test --env`): each test reads the relations the environment holds
 * (`marts__dev.x`) and production's for the rest (transform/environment-sql.ts); a test
 * spelling a reference the rewriter does not see fails, naming it.
 */
export async function runDataTests(
  pool: Pool,
  dir: string,
  options: { skipRawScans?: boolean; loadsSince?: Date; models?: ReadonlySet<string>; environment?: ReadEnvironment } = {},
): Promise<DataTestResult[]> {
  const results: DataTestResult[] = [];
  const byName = new Map(readModels(dir).map((model) => [model.name, model]));
  const chosen = readDataTests(dir).filter(
    (candidate) =>
      !(options.skipRawScans && candidate.scansRaw) && (options.models === undefined || candidate.reads.some((name) => options.models?.has(name))),
  );
  const newLoads = options.loadsSince === undefined ? undefined : await loadsFinishedSince(pool, options.loadsSince);
  const keysOf = new Map<string, Awaited<ReturnType<typeof changedKeys>>>();
  for (const test of chosen) {
    const started = performance.now();
    let params: unknown[] = [];
    let scope: DataTestScope = 'all rows';
    try {
      const base = options.environment === undefined ? test.sql : readingEnvironment(test.sql, `data test ${test.name}`, options.environment);
      let sql = base;
      if (newLoads !== undefined) {
        const only = test.reads.length === 1 ? byName.get(test.reads[0] ?? '') : undefined;
        if (test.byLoad === true) {
          // a by-load table's rows change only with new loads: test those (the filter reaches its key index)
          sql = `select * from (${base}\n) as checked where checked.load_id = any($1::bigint[])`;
          params = [newLoads];
          scope = 'new loads';
        } else if (only !== undefined) {
          if (!keysOf.has(only.name)) keysOf.set(only.name, await changedKeys(pool, only, byName, newLoads));
          const changed = keysOf.get(only.name);
          if (changed !== undefined && (await resultColumns(pool, base)).includes(changed.column)) {
            sql = `select * from (${base}\n) as checked where checked."${changed.column}" = any($1::${changed.type}[])`;
            params = [changed.keys];
            scope = 'changed keys';
          }
        }
      }
      const { rows } = await pool.query<Record<string, unknown>>(
        `select offending.*, count(*) over () as offending_rows from (${sql}\n) as offending limit ${SAMPLE_ROWS}`,
        params,
      );
      const failures = Number(rows[0]?.offending_rows ?? 0);
      const sample = rows.map(({ offending_rows: _count, ...row }) => row);
      results.push({ test, failures, sample, ms: performance.now() - started, scope });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      // a reader or an analyst runs the tests it may: one on a relation it may not read is skipped, not failed
      if ((err as { code?: unknown }).code === INSUFFICIENT_PRIVILEGE) {
        results.push({ test, failures: 0, sample: [], ms: performance.now() - started, skipped: skipReason(error), scope });
        continue;
      }
      results.push({ test, failures: 1, sample: [], ms: performance.now() - started, error, scope });
    }
  }
  return results;
}

/** The columns a test's query returns (planned, not run). */
async function resultColumns(pool: Pool, sql: string): Promise<string[]> {
  const { fields } = await pool.query(`select * from (${sql}\n) as described limit 0`);
  return fields.map((field) => field.name);
}

/** One line per test (PASS/FAIL), then the offending rows of each failure. */
export function formatDataTestResults(results: DataTestResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const status = result.skipped ? 'SKIP' : result.failures === 0 ? 'PASS' : 'FAIL';
    lines.push(`${status}  ${result.test.name.padEnd(52)} ${result.test.model}: ${result.test.description}`);
    if (result.skipped) lines.push(`      skipped: ${result.skipped}`);
    else if (result.error) lines.push(`      the test query failed: ${result.error}`);
    else if (result.failures > 0) {
      lines.push(`      ${result.failures} offending row(s)${result.failures > result.sample.length ? `, first ${result.sample.length}` : ''}:`);
      for (const row of result.sample) lines.push(`      ${JSON.stringify(row)}`);
    }
  }
  const failed = results.filter((result) => result.failures > 0).length;
  const skipped = results.filter((result) => result.skipped).length;
  lines.push(`${results.length - failed - skipped} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return `${lines.join('\n')}\n`;
}
