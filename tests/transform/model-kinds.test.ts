import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { isRefreshTarget, MODEL_SCHEMAS, readModels } from '../../transform/model-catalog';
import { defaultKindOf, isModelKind, MODEL_KINDS, type ModelKindName } from '../../transform/model-kinds';
import { modelsFolderError } from '../helpers/models-folder-error';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// Each model kind is defined once (transform/model-kinds.ts); these tests pin what each
// definition says and that the catalog reads a model header through it (issue 24).

const KINDS = Object.keys(MODEL_KINDS) as ModelKindName[];

/** A models folder with one model, `<schema>/<relation>.sql`, holding `text`. */
function folderWith(schema: string, relation: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'elt-kinds-'));
  mkdirSync(join(dir, schema));
  writeFileSync(join(dir, schema, `${relation}.sql`), text);
  return dir;
}

test('the kinds are view, materialized_view, incremental and table', () => {
  expect([...KINDS].sort()).toEqual(['incremental', 'materialized_view', 'table', 'view']);
});

test('every layer has exactly one default kind: views in staging and intermediate, materialized views in the marts', () => {
  for (const schema of MODEL_SCHEMAS) expect(KINDS.filter((kind) => MODEL_KINDS[kind].defaultIn.includes(schema))).toHaveLength(1);
  expect(MODEL_SCHEMAS.map((schema) => defaultKindOf(schema))).toEqual(['view', 'view', 'materialized_view']);
});

test('isModelKind accepts the four names only: no prototype key, other case, padding or SQL', () => {
  for (const kind of KINDS) expect(isModelKind(kind)).toBe(true);
  for (const hostile of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'TABLE', 'Table', ' table', 'table;', 'ephemeral', '']) {
    expect(isModelKind(hostile)).toBe(false);
  }
});

test('the kinds say what they are: who fills the rows, what refresh does, when the build remakes them', () => {
  const summary = Object.fromEntries(
    KINDS.map((kind) => {
      const k = MODEL_KINDS[kind];
      return [kind, [k.relation, k.fill, k.rebuild, k.refresh, k.keyRequired, k.keyIndex, k.incrementalInputs, k.citus, k.dataTests.join(',')]];
    }),
  );
  expect(summary).toEqual({
    view: ['view', 'on-read', 'when-changed', 'none', false, false, false, 'coordinator', 'unique_key,not_null,expect'],
    materialized_view: [
      'materialized view',
      'by-ddl',
      'when-changed',
      'refresh-materialized-view',
      true,
      true,
      false,
      'coordinator',
      'not_null,expect',
    ],
    incremental: ['table', 'by-engine', 'when-changed', 'engine', true, true, true, 'distributable', 'not_null,expect'],
    table: ['table', 'by-ddl', 'every-build', 'none', false, true, false, 'coordinator', 'not_null,expect'],
  });
  for (const kind of KINDS) expect(MODEL_KINDS[kind].description.length).toBeGreaterThan(20);
});

test('elt refresh targets the materialized views of every layer and the incremental marts, never a view or a table', () => {
  const targets = KINDS.flatMap((kind) =>
    MODEL_SCHEMAS.filter((schema) => isRefreshTarget({ materialized: kind, schema })).map((schema) => `${kind} ${schema}`),
  );
  expect(targets).toEqual(['materialized_view staging', 'materialized_view intermediate', 'materialized_view marts', 'incremental marts']);
});

describe('a model header is read through the kinds', () => {
  test('materialized: table is accepted, with or without a unique key, and gets no source view', () => {
    const [keyless] = readModels(folderWith('marts', 'totals', '-- materialized: table\nselect 1 as id'));
    expect(keyless).toMatchObject({ name: 'marts.totals', materialized: 'table', uniqueKey: [], inputs: [] });
    expect(keyless?.sourceView).toBeUndefined();
    const [keyed] = readModels(folderWith('intermediate', 'totals', '-- materialized: table\n-- unique_key: id\nselect 1 as id'));
    expect(keyed).toMatchObject({ materialized: 'table', uniqueKey: ['id'] });
  });

  test('a folder default applies when the header names no kind', () => {
    expect(readModels(folderWith('marts', 'm', '-- unique_key: id\nselect 1 as id'))[0]?.materialized).toBe('materialized_view');
    expect(readModels(folderWith('staging', 's', 'select 1 as id'))[0]?.materialized).toBe('view');
  });

  test.each(['constructor', '__proto__', 'toString', 'TABLE', 'table; drop schema marts', 'ephemeral'])(
    'materialized: %s is refused naming the model and the four kinds (exit 5)',
    (hostile) => {
      const err = modelsFolderError(folderWith('marts', 'm', `-- materialized: ${hostile}\n-- unique_key: id\nselect 1 as id`));
      expect(err.exitCode).toBe(ExitCode.modelFailed);
      expect(err.message).toBe(`model marts.m: materialized must be view, materialized_view, incremental or table, not "${hostile}"`);
    },
  );

  test('a kind that needs a key refuses a model without one; a view and a table do not', () => {
    expect(modelsFolderError(folderWith('marts', 'm', '-- materialized: materialized_view\nselect 1 as id')).message).toBe(
      'model marts.m: a materialized_view model needs a "-- unique_key: ..." header line',
    );
    expect(readModels(folderWith('marts', 'm', '-- materialized: view\nselect 1 as id'))).toHaveLength(1);
  });

  test('incremental_by or incremental_from on a kind that takes no incremental inputs is refused, not ignored', () => {
    const err = modelsFolderError(folderWith('marts', 'm', '-- materialized: table\n-- incremental_by: load_id\nselect 1 as load_id'));
    expect(err.exitCode).toBe(ExitCode.modelFailed);
    expect(err.message).toBe('model marts.m: a table model takes no incremental_by or incremental_from (only incremental models do)');
    expect(modelsFolderError(folderWith('marts', 'm', '-- incremental_from: marts.x\n-- unique_key: id\nselect 1 as id')).message).toBe(
      'model marts.m: a materialized_view model takes no incremental_by or incremental_from (only incremental models do)',
    );
  });

  test.each(['t__new', 't__source'])('a model named %s (a name the build gives a helper relation) is refused', (relation) => {
    const err = modelsFolderError(folderWith('marts', relation, '-- materialized: view\nselect 1 as id'));
    expect(err.exitCode).toBe(ExitCode.modelFailed);
    expect(err.message).toMatch(new RegExp(`^model .*${relation}\\.sql: a model name may not end in __new or __source`));
  });

  test('a model name too long for the names the build derives from it (Postgres cuts names at 63 bytes) is refused', () => {
    const longest = 'x'.repeat(47);
    expect(readModels(folderWith('marts', longest, '-- materialized: table\n-- unique_key: id\nselect 1 as id'))).toHaveLength(1);
    const err = modelsFolderError(folderWith('marts', `${longest}y`, '-- materialized: table\n-- unique_key: id\nselect 1 as id'));
    expect(err.exitCode).toBe(ExitCode.modelFailed);
    expect(err.message).toMatch(/^model .*: a model name has at most 47 characters \(48 here\)/);
  });
});

describe('each kind creates the relation it says, from its query', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query('create schema marts');
  });
  afterAll(() => db.drop());

  test.each(KINDS)('%s', async (kind) => {
    const relation = `"marts"."k_${kind}"`;
    for (const statement of MODEL_KINDS[kind].create({ relation, sourceView: `"marts"."k_${kind}__source"` }, 'select 7 as id')) {
      await db.pool.query(statement);
    }
    const { rows } = await db.pool.query<{ relkind: string }>('select relkind from pg_class where oid = to_regclass($1)', [relation]);
    expect(rows).toEqual([{ relkind: MODEL_KINDS[kind].relkind }]);
    // the engine fills an incremental table; every other kind holds (or shows) its query's rows at once
    const expected = MODEL_KINDS[kind].fill === 'by-engine' ? [] : [{ id: 7 }];
    expect((await db.pool.query(`select * from ${relation}`)).rows).toEqual(expected);
  });
});
