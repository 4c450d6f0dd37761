import type { ModelSchema } from './model-layers';

/**
 * The kinds of model (`-- materialized: <kind>` in a model's header), each defined once
 * here: the build, the refresh, the data tests, the Citus layout, freshness and the docs
 * ask this record what a kind means, and no other file compares a kind's name
 * (tests/transform/model-kind-names.test.ts). Adding a kind is adding an entry (and its
 * name to ModelKindName) with its tests. The procedures name two kinds in SQL, where they
 * must (`materialized_view` in refresh_marts.sql, `incremental` in apply_increments.sql);
 * a test checks every name they use is a key of MODEL_KINDS.
 */
export type ModelKindName = 'view' | 'materialized_view' | 'incremental' | 'table';

/** The generic data tests a model's header can give it (transform/data-tests.ts). */
export type GenericDataTest = 'unique_key' | 'not_null' | 'expect';

/** Quoted, schema-qualified names a kind's DDL creates: the relation, and an incremental model's source view. */
export interface KindTarget {
  relation: string;
  sourceView: string;
}

export interface ModelKind {
  /** what it is, for the docs (docs/reference/model-headers.md) and the docs site */
  description: string;
  /** the layers (folders) whose models are of this kind when their header names none */
  defaultIn: readonly ModelSchema[];
  /** what Postgres holds: the word in `drop`, `comment on` and the build's log */
  relation: 'view' | 'materialized view' | 'table';
  /** pg_class.relkind of that relation */
  relkind: 'v' | 'm' | 'r';
  /**
   * who computes its rows: `on-read` (its query runs on every read), `by-ddl` (the
   * statement that creates it), `by-engine` (a table created empty, filled and kept up
   * to date by the incremental engine, db/procedures/apply_increments.sql, from its source view)
   */
  fill: 'on-read' | 'by-ddl' | 'by-engine';
  /**
   * when `elt build` remakes it: `when-changed` (its checksum, its upstream, --full,
   * --select), or `every-build`: recomputed at each build (and so each `elt run`). Either
   * way a rebuild is built beside the old relation as `<name>__new` and swapped in at the
   * end with the others (transform/swap-relations.ts), so readers keep reading the old rows meanwhile
   */
  rebuild: 'when-changed' | 'every-build';
  /** a model of this kind must have a `-- unique_key:` line */
  keyRequired: boolean;
  /** its unique key (when it has one) is a unique index, which refuses a duplicate at build; else a data test checks it */
  keyIndex: boolean;
  /** what `elt refresh` (elt.refresh_marts) does with it: nothing, `refresh materialized view` (concurrently once populated), or the engine's by-load/by-key update */
  refresh: 'none' | 'refresh-materialized-view' | 'engine';
  /** the layers in which `elt refresh` reports it and `elt status` lists it */
  refreshTargetIn: readonly ModelSchema[];
  /** it takes `-- incremental_by:` and `-- incremental_from:` lines */
  incrementalInputs: boolean;
  /** on a Citus cluster: kept on the coordinator, or laid out as transform/distribute.ts derives from the headers */
  citus: 'coordinator' | 'distributable';
  /** the generic data tests its header gives it */
  dataTests: readonly GenericDataTest[];
  /** the statements that create the relation from the model's query (`sql`) */
  create(target: KindTarget, sql: string): string[];
}

/** Where the build makes a model it rebuilds before swapping it in: `<relation>__new` (a model may not be named so). */
export const SWAP_SUFFIX = '__new';

export const MODEL_KINDS: Readonly<Record<ModelKindName, ModelKind>> = {
  view: {
    description: 'a view: its query runs at every read, so it is always current and stores nothing',
    defaultIn: ['staging', 'intermediate'],
    relation: 'view',
    relkind: 'v',
    fill: 'on-read',
    rebuild: 'when-changed',
    keyRequired: false,
    keyIndex: false,
    refresh: 'none',
    refreshTargetIn: [],
    incrementalInputs: false,
    citus: 'coordinator',
    dataTests: ['unique_key', 'not_null', 'expect'],
    create: (target, sql) => [`create view ${target.relation} as\n${sql}`],
  },
  materialized_view: {
    description: 'a materialized view: its rows are stored; elt refresh recomputes them whole, concurrently (readers are not blocked)',
    defaultIn: ['marts'],
    relation: 'materialized view',
    relkind: 'm',
    fill: 'by-ddl',
    rebuild: 'when-changed',
    keyRequired: true,
    keyIndex: true,
    refresh: 'refresh-materialized-view',
    refreshTargetIn: ['staging', 'intermediate', 'marts'],
    incrementalInputs: false,
    citus: 'coordinator',
    dataTests: ['not_null', 'expect'],
    create: (target, sql) => [`create materialized view ${target.relation} as\n${sql}`],
  },
  incremental: {
    description: 'an incremental table: elt refresh folds in the rows of new loads (by load) or recomputes only the keys they changed (by key)',
    defaultIn: [],
    relation: 'table',
    relkind: 'r',
    fill: 'by-engine',
    rebuild: 'when-changed',
    keyRequired: true,
    keyIndex: true,
    refresh: 'engine',
    refreshTargetIn: ['marts'],
    incrementalInputs: true,
    citus: 'distributable',
    dataTests: ['not_null', 'expect'],
    create: (target, sql) => [
      // left behind when its table was dropped by hand
      `drop view if exists ${target.sourceView}`,
      `create view ${target.sourceView} as\n${sql}`,
      `create table ${target.relation} as select * from ${target.sourceView} with no data`,
    ],
  },
  table: {
    description: 'a table: recomputed in full at every elt build (and elt run), built beside and swapped in; elt refresh leaves it as built',
    defaultIn: [],
    relation: 'table',
    relkind: 'r',
    fill: 'by-ddl',
    rebuild: 'every-build',
    keyRequired: false,
    keyIndex: true,
    refresh: 'none',
    refreshTargetIn: [],
    incrementalInputs: false,
    citus: 'coordinator',
    dataTests: ['not_null', 'expect'],
    create: (target, sql) => [`create table ${target.relation} as\n${sql}`],
  },
};

/** The kind names, as the error for an unknown one lists them. */
export const MODEL_KIND_NAMES = Object.keys(MODEL_KINDS) as ModelKindName[];

/** True for a kind's name, exactly (not a key every object has, such as `constructor`). */
export function isModelKind(name: string): name is ModelKindName {
  return Object.hasOwn(MODEL_KINDS, name);
}

/** The kind of a model in `schema` whose header names none. */
export function defaultKindOf(schema: ModelSchema): ModelKindName {
  return MODEL_KIND_NAMES.find((name) => MODEL_KINDS[name].defaultIn.includes(schema)) as ModelKindName;
}
