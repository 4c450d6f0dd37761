import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EltError, ExitCode } from '../../core/errors';
import { MAX_MODEL_NAME, MODEL_SCHEMAS, readModels } from '../../transform/model-catalog';
import { ENGINE_SCHEMA, legacySourceViewOf, sourceViewOf, storedSourceView } from '../../transform/source-views';

// Where an incremental model's query lives: a view of the engine's own schema, out of the
// schemas analysts browse (issue 25), named so that no two models ever share one.

test('a source view is elt_engine.<schema>__<model>__source, in the engine schema', () => {
  expect(ENGINE_SCHEMA).toBe('elt_engine');
  expect(sourceViewOf('marts.article_performance')).toBe('elt_engine.marts__article_performance__source');
  expect(sourceViewOf('intermediate.int_events')).toBe('elt_engine.intermediate__int_events__source');
});

test('every source view name fits in 63 bytes (Postgres would cut it) and names two models apart, however long and alike their names', () => {
  const names = new Set<string>();
  for (const schema of MODEL_SCHEMAS) {
    for (let length = 1; length <= MAX_MODEL_NAME; length += 1) {
      // alike in all but the last character, and the same name in every layer
      for (const last of ['a', 'b', '_', '9']) {
        const model = `${schema}.${'x'.repeat(length - 1)}${last}`;
        const [viewSchema, view] = sourceViewOf(model).split('.') as [string, string];
        expect(viewSchema).toBe(ENGINE_SCHEMA);
        expect(Buffer.byteLength(view)).toBeLessThanOrEqual(63);
        expect(view).toMatch(/^[a-z_][a-z0-9_]*__source$/);
        names.add(view);
      }
    }
  }
  expect(names.size).toBe(MODEL_SCHEMAS.length * MAX_MODEL_NAME * 4);
});

test('a stored source view is followed only when it is the name the build gives (now or in the old layout), never another relation', () => {
  expect(storedSourceView('marts.x', 'elt_engine.marts__x__source')).toBe('elt_engine.marts__x__source');
  expect(legacySourceViewOf('marts.x')).toBe('marts.x__source');
  expect(storedSourceView('marts.x', 'marts.x__source')).toBe('marts.x__source');
  for (const hostile of ['raw.raw_events', 'marts.y__source', 'elt_engine.marts__y__source', 'elt.models', '', null]) {
    expect(storedSourceView('marts.x', hostile)).toBe('elt_engine.marts__x__source');
  }
});

test('a model spelled like the cut source view name of a long one is refused, naming both (never two models on one view)', () => {
  const long = 'int_'.padEnd(MAX_MODEL_NAME, 'x');
  const cut = (sourceViewOf(`intermediate.${long}`).split('.')[1] as string).replace(/^intermediate__/, '').replace(/__source$/, '');
  expect(cut).not.toBe(long);
  const dir = mkdtempSync(join(tmpdir(), 'elt-source-views-'));
  mkdirSync(join(dir, 'intermediate'));
  for (const name of [long, cut]) {
    writeFileSync(join(dir, 'intermediate', `${name}.sql`), '-- materialized: incremental\n-- unique_key: load_id\nselect 1::bigint as load_id');
  }
  let caught: unknown;
  try {
    readModels(dir);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(EltError);
  expect((caught as EltError).exitCode).toBe(ExitCode.modelFailed);
  expect((caught as EltError).message).toMatch(
    new RegExp(
      `^models intermediate\\.(${long}|${cut}) and intermediate\\.(${long}|${cut}) would share the source view ${sourceViewOf(`intermediate.${long}`)}`,
    ),
  );
});
