import type { Pool } from 'pg';
import { runDataTests } from '../../transform/data-tests';
import { readFreshness, type Freshness, type FreshnessThresholds } from '../freshness';
import { readLineage, type LineageEdge } from '../lineage';
import { readModels, type Model } from '../../transform/model-catalog';
import { relationOidSql } from '../../db/relation-by-name';
import type { ReadEnvironment } from '../../transform/environment-sql';
import { environmentLineage } from '../environment-lineage';

/** One column of a model as the database has it: its type, and its comment (else the header's description). */
export interface DocsColumn {
  name: string;
  type: string;
  description: string;
}

/** One model as the docs site shows it. */
export interface DocsModel {
  name: string;
  layer: string;
  materialized: string;
  /** from the description's `grain:` line */
  grain: string;
  key: string[];
  description: string;
  /** the relation is in the database (else: run elt build) */
  built: boolean;
  columns: DocsColumn[];
  sql: string;
  path: string;
  upstream: string[];
  downstream: string[];
  /** elt docs --env: the environment's relation of a model it holds (marts__dev.x), whose columns are shown */
  environmentRelation?: string;
}

/** A data test and how it went when the site was written. */
export interface DocsTest {
  name: string;
  model: string;
  description: string;
  passed: boolean;
  failures: number;
  error?: string;
  /** not run: this login may not read what the test queries (transform/data-tests.ts) */
  skipped?: string;
  ranAt: string;
  ms: number;
}

export interface DocsData {
  generatedAt: string;
  models: DocsModel[];
  /** every edge, models and the relations they read (raw.raw_events, elt.settings) */
  edges: LineageEdge[];
  /** null: the tests were not run (--no-tests) */
  tests: DocsTest[] | null;
  freshness: Freshness;
  /** elt docs --env: the environment the site shows the models of */
  environment?: string;
}

/** The `grain:` of a model's description (`grain: one row per ...; key: (...)`), else empty. */
export function grainOf(description: string): string {
  const match = /(?:^|\n)\s*grain:\s*([^\n]*)/i.exec(description);
  return (match?.[1] ?? '')
    .replace(/;\s*key:.*$/i, '')
    .replace(/[.;]\s*$/, '')
    .trim();
}

/** The columns of a relation in order, with their type and comment, read from pg_attribute. */
async function readColumns(
  pool: Pool,
  model: Model,
  relationName = model.name,
): Promise<{ built: boolean; relationComment: string | null; columns: DocsColumn[] }> {
  const { rows: relation } = await pool.query<{ oid: number | null; comment: string | null }>(
    `select relation.oid, obj_description(relation.oid, 'pg_class') as comment from (select ${relationOidSql(1)} as oid) as relation`,
    [relationName],
  );
  const oid = relation[0]?.oid ?? null;
  if (oid === null)
    return {
      built: false,
      relationComment: null,
      columns: model.columns.map((column) => ({ name: column.name, type: '', description: column.description })),
    };
  const { rows } = await pool.query<{ name: string; type: string; comment: string | null }>(
    `select attname as name, format_type(atttypid, atttypmod) as type, col_description(attrelid, attnum) as comment
       from pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped order by attnum`,
    [oid],
  );
  const fromHeader = new Map(model.columns.map((column) => [column.name, column.description]));
  return {
    built: true,
    relationComment: relation[0]?.comment ?? null,
    columns: rows.map((row) => ({ name: row.name, type: row.type, description: row.comment ?? fromHeader.get(row.name) ?? '' })),
  };
}

/**
 * Everything the site shows, read from the models folder and the database's own
 * catalog (types, comments, pg_depend lineage), the ledger (freshness) and, unless
 * `runTests` is false, the data tests, run now: their result and time are this run's.
 * `environment` (elt docs --env): the models as it holds them: the columns of its
 * relations, its models' lineage from their SQL (observe/environment-lineage.ts), the
 * tests run on its relations, production's for the rest.
 */
export async function readDocs(
  pool: Pool,
  options: { modelsDir: string; thresholds: FreshnessThresholds; runTests: boolean; environment?: ReadEnvironment },
): Promise<DocsData> {
  const models = readModels(options.modelsDir);
  const production = await readLineage(pool);
  const { edges, held } =
    options.environment === undefined
      ? { edges: production, held: new Map<string, string>() }
      : environmentLineage(production, models, options.environment);
  const docsModels: DocsModel[] = [];
  for (const model of models) {
    const inEnvironment = held.get(model.name);
    const { built, relationComment, columns } = await readColumns(pool, model, inEnvironment);
    docsModels.push({
      ...(inEnvironment === undefined ? {} : { environmentRelation: inEnvironment }),
      name: model.name,
      layer: model.schema,
      materialized: model.materialized,
      grain: grainOf(model.description),
      key: model.uniqueKey,
      description: relationComment ?? model.description,
      built,
      columns,
      sql: model.sql,
      path: model.path,
      upstream: [...new Set(edges.filter((edge) => edge.model === model.name).map((edge) => edge.source))].sort(),
      downstream: [...new Set(edges.filter((edge) => edge.source === model.name).map((edge) => edge.model))].sort(),
    });
  }
  let tests: DocsTest[] | null = null;
  if (options.runTests) {
    tests = [];
    for (const result of await runDataTests(pool, options.modelsDir, { environment: options.environment })) {
      tests.push({
        name: result.test.name,
        model: result.test.model,
        description: result.test.description,
        passed: result.failures === 0,
        failures: result.failures,
        ...(result.error ? { error: result.error } : {}),
        ...(result.skipped ? { skipped: result.skipped } : {}),
        ranAt: new Date().toISOString(),
        ms: Math.round(result.ms),
      });
    }
  }
  const freshness = await readFreshness(pool, options.modelsDir, options.thresholds);
  return {
    generatedAt: new Date().toISOString(),
    models: docsModels,
    edges,
    tests,
    freshness,
    ...(options.environment === undefined ? {} : { environment: options.environment.name }),
  };
}
