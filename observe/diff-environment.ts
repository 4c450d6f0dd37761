import type { Pool, PoolClient } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import { checkEnvironmentName, environmentRelation } from '../transform/environment-name';
import { checkMayRead, readEnvironments } from '../transform/environments';
import { readModels } from '../transform/model-catalog';
import { shown } from './terminal-safe';

/** How many rows of each kind a diff shows (the counts are of all). */
export const DIFF_EXAMPLES = 5;

type Row = Record<string, string | null>;

/** One changed row: its key, and each column whose value differs, with production's and the environment's. */
export interface ChangedRow {
  key: Row;
  columns: { column: string; production: string | null; environment: string | null }[];
}

/** One mart of an environment compared with production's, row by row on its unique key (SQLMesh's table diff, dbt's audit_helper). */
export interface MartDiff {
  model: string;
  key: string[];
  same: number;
  onlyInProduction: number;
  onlyInEnvironment: number;
  changed: number;
  /** columns the environment's mart has and production's lacks, and the other way round (values compared on the others) */
  columnsAdded: string[];
  columnsRemoved: string[];
  examples: { onlyInProduction: Row[]; onlyInEnvironment: Row[]; changed: ChangedRow[] };
}

export const martDiffers = (diff: MartDiff): boolean =>
  diff.onlyInProduction + diff.onlyInEnvironment + diff.changed > 0 || diff.columnsAdded.length + diff.columnsRemoved.length > 0;

const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const relationName = (name: string): string => name.split('.').map(ident).join('.');

async function columnsOf(client: PoolClient, relation: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select a.attname as name from pg_attribute as a
      where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [relation],
  );
  return rows.map((row) => row.name);
}

async function diffMart(client: PoolClient, model: string, key: string[], environment: string): Promise<MartDiff> {
  const production = relationName(model);
  const other = relationName(environmentRelation(model, environment));
  const productionColumns = await columnsOf(client, model);
  const environmentColumns = await columnsOf(client, environmentRelation(model, environment));
  const common = environmentColumns.filter((column) => productionColumns.includes(column));
  const missingKey = key.find((column) => !common.includes(column));
  if (missingKey !== undefined) {
    throw new EltError(`cannot compare ${model}: its key column ${missingKey} is not in both production's and the environment's`, ExitCode.usage);
  }
  const values = common.filter((column) => !key.includes(column));
  const join = `${production} as p full join ${other} as e on ${key.map((column) => `p.${ident(column)} = e.${ident(column)}`).join(' and ')}`;
  const differs = `row(${values.map((column) => `p.${ident(column)}`).join(', ') || 'null'}) is distinct from row(${values.map((column) => `e.${ident(column)}`).join(', ') || 'null'})`;
  const first = ident(key[0] as string);
  const { rows: counts } = await client.query<{ same: number; only_production: number; only_environment: number; changed: number }>(
    `select count(*) filter (where p.${first} is not null and e.${first} is not null and not ${differs})::float8 as same,
            count(*) filter (where e.${first} is null)::float8 as only_production,
            count(*) filter (where p.${first} is null)::float8 as only_environment,
            count(*) filter (where p.${first} is not null and e.${first} is not null and ${differs})::float8 as changed
       from ${join}`,
  );
  const order = key.map((column) => ident(column)).join(', ');
  const asText = (alias: string, columns: string[]) => columns.map((column) => `${alias}.${ident(column)}::text as ${ident(column)}`).join(', ');
  const { rows: onlyInProduction } = await client.query<Row>(
    `select ${asText('p', productionColumns)} from ${production} as p
      where not exists (select from ${other} as e where ${key.map((column) => `e.${ident(column)} = p.${ident(column)}`).join(' and ')})
      order by ${order} limit ${DIFF_EXAMPLES}`,
  );
  const { rows: onlyInEnvironment } = await client.query<Row>(
    `select ${asText('e', environmentColumns)} from ${other} as e
      where not exists (select from ${production} as p where ${key.map((column) => `e.${ident(column)} = p.${ident(column)}`).join(' and ')})
      order by ${order} limit ${DIFF_EXAMPLES}`,
  );
  const { rows: changedRows } = await client.query<Row>(
    `select ${asText('p', key)}, ${values.map((column, i) => `p.${ident(column)}::text as "p${i}", e.${ident(column)}::text as "e${i}"`).join(', ') || 'null'}
       from ${production} as p join ${other} as e on ${key.map((column) => `p.${ident(column)} = e.${ident(column)}`).join(' and ')}
      where ${differs}
      order by ${key.map((column) => `p.${ident(column)}`).join(', ')} limit ${DIFF_EXAMPLES}`,
  );
  const counted = counts[0] as { same: number; only_production: number; only_environment: number; changed: number };
  return {
    model,
    key,
    same: counted.same,
    onlyInProduction: counted.only_production,
    onlyInEnvironment: counted.only_environment,
    changed: counted.changed,
    columnsAdded: environmentColumns.filter((column) => !productionColumns.includes(column)),
    columnsRemoved: productionColumns.filter((column) => !environmentColumns.includes(column)),
    examples: {
      onlyInProduction,
      onlyInEnvironment,
      changed: changedRows.map((row) => ({
        key: Object.fromEntries(key.map((column) => [column, row[column] ?? null])),
        columns: values
          .map((column, i) => ({ column, production: row[`p${i}`] ?? null, environment: row[`e${i}`] ?? null }))
          .filter((cell) => cell.production !== cell.environment),
      })),
    },
  };
}

/**
 * `elt diff --env <name> [model ...]`: each mart of the environment (or the ones named)
 * compared with production's, on its unique key (the model file's `-- unique_key:`): rows
 * only in production, only in the environment, and changed, with counts and the first
 * few of each (by key), a changed row column by column. Read in one snapshot; nothing is
 * written. The work is a few joins on the key, whatever the number of rows; the examples
 * are bounded (DIFF_EXAMPLES).
 */
export async function diffEnvironment(pool: Pool, options: { dir: string; environment: string; models?: string[] }): Promise<MartDiff[]> {
  const environment = checkEnvironmentName(options.environment);
  const models = readModels(options.dir);
  const client = await pool.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const [record] = await readEnvironments(client, environment);
    if (record === undefined) throw new EltError(`no environment named ${environment} (elt env list shows them)`, ExitCode.usage);
    await checkMayRead(client, record);
    const marts = Object.keys(record.models).filter((name) => name.startsWith('marts.'));
    const asked = (options.models ?? []).map((name) => (name.includes('.') ? name : `marts.${name}`));
    for (const name of asked) {
      if (!marts.includes(name)) {
        throw new EltError(`${shown(name)} is not a mart of environment ${environment} (it holds ${marts.join(', ') || 'no mart'})`, ExitCode.usage);
      }
    }
    const diffs: MartDiff[] = [];
    for (const name of asked.length > 0 ? asked : marts) {
      const model = models.find((candidate) => candidate.name === name);
      if (model === undefined || model.uniqueKey.length === 0) {
        throw new EltError(`cannot compare ${name}: no model file with a "-- unique_key:" line for it in ${options.dir}`, ExitCode.usage);
      }
      diffs.push(await diffMart(client, name, model.uniqueKey, environment));
    }
    await client.query('commit');
    return diffs;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const cells = (row: Row): string =>
  Object.entries(row)
    .map(([column, value]) => `${column}=${value === null ? 'NULL' : shown(value)}`)
    .join(' ');

/** The diff for people: a line of counts per mart, then the example rows of each kind. */
export function formatDiff(diffs: readonly MartDiff[], environment: string): string {
  if (diffs.length === 0) return `environment ${environment} holds no mart: nothing to compare\n`;
  const lines: string[] = [];
  for (const diff of diffs) {
    lines.push(
      `${diff.model} (key: ${diff.key.join(', ')}): ${diff.same} same, ${diff.onlyInProduction} only in production, ` +
        `${diff.onlyInEnvironment} only in ${environment}, ${diff.changed} changed`,
    );
    if (diff.columnsAdded.length > 0) lines.push(`  columns only in ${environment}: ${diff.columnsAdded.join(', ')}`);
    if (diff.columnsRemoved.length > 0) lines.push(`  columns only in production: ${diff.columnsRemoved.join(', ')}`);
    const more = (shown: number, all: number) => (all > shown ? ` (first ${shown})` : '');
    if (diff.onlyInProduction > 0) {
      lines.push(`  only in production${more(diff.examples.onlyInProduction.length, diff.onlyInProduction)}:`);
      for (const row of diff.examples.onlyInProduction) lines.push(`    ${cells(row)}`);
    }
    if (diff.onlyInEnvironment > 0) {
      lines.push(`  only in ${environment}${more(diff.examples.onlyInEnvironment.length, diff.onlyInEnvironment)}:`);
      for (const row of diff.examples.onlyInEnvironment) lines.push(`    ${cells(row)}`);
    }
    if (diff.changed > 0) {
      lines.push(`  changed${more(diff.examples.changed.length, diff.changed)} (production -> ${environment}):`);
      for (const row of diff.examples.changed) {
        const value = (text: string | null) => (text === null ? 'NULL' : shown(text));
        const changes = row.columns.map((cell) => `${cell.column} ${value(cell.production)} -> ${value(cell.environment)}`);
        lines.push(`    ${cells(row.key)}: ${changes.join(', ')}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
