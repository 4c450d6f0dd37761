import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { readModels } from '../../transform/model-catalog';
import { modelsFolderError } from '../helpers/models-folder-error';
import { createTestDatabase, MODELS_DIR } from '../helpers/test-database';

// A model by key with a lower bound (`-- incremental_by: article_id, date`): the header's
// grammar, and elt.fold_keys(), which its query reads while the engine folds it and never otherwise.

const BY_LOAD = '-- materialized: incremental\n-- unique_key: load_id, k, d\nselect 1::bigint as load_id, 1 as k, current_date as d';

function folderWith(header: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'elt-since-'));
  mkdirSync(join(dir, 'intermediate'));
  mkdirSync(join(dir, 'marts'));
  writeFileSync(join(dir, 'intermediate', 'days.sql'), BY_LOAD);
  writeFileSync(join(dir, 'marts', 'm.sql'), `-- materialized: incremental\n${header}\n-- unique_key: k, d\nselect k, d from intermediate.days`);
  return dir;
}

test('incremental_by "<key>, <bound>" reads as a key and its lower bound; each input gives the columns holding them, or their own names', () => {
  const bounded = readModels(folderWith('-- incremental_by: k, d\n-- incremental_from: intermediate.days (k, d)')).find(
    (model) => model.name === 'marts.m',
  );
  expect(bounded).toMatchObject({
    incrementalBy: 'k',
    incrementalSince: 'd',
    inputs: [{ upstream: 'intermediate.days', column: 'k', sinceColumn: 'd' }],
  });
  const named = readModels(folderWith('-- incremental_by: k, d\n-- incremental_from: intermediate.days')).find((model) => model.name === 'marts.m');
  expect(named?.inputs).toEqual([{ upstream: 'intermediate.days', column: 'k', sinceColumn: 'd' }]);
  // a model by key alone is read as before, and its checksum does not carry a bound
  const whole = readModels(folderWith('-- incremental_by: k\n-- incremental_from: intermediate.days (k)')).find((model) => model.name === 'marts.m');
  expect(whole).not.toHaveProperty('incrementalSince');
  expect(whole?.inputs).toEqual([{ upstream: 'intermediate.days', column: 'k' }]);
  expect(whole?.checksum).not.toBe(bounded?.checksum);
});

test.each([
  [
    '-- incremental_by: k, d, e\n-- incremental_from: intermediate.days',
    'incremental_by must be load_id, a key column, or a key column and the column bounding it ("article_id, date"), not "k, d, e"',
  ],
  [
    '-- incremental_by: load_id, d',
    'incremental_by must be load_id, a key column, or a key column and the column bounding it ("article_id, date"), not "load_id, d"',
  ],
  [
    '-- incremental_by: k, d; drop table x\n-- incremental_from: intermediate.days',
    'incremental_by must be load_id, a key column, or a key column and the column bounding it ("article_id, date"), not "k, d; drop table x"',
  ],
  [
    '-- incremental_by: k, "D"\n-- incremental_from: intermediate.days',
    'incremental_by must be load_id, a key column, or a key column and the column bounding it ("article_id, date"), not "k, "D""',
  ],
  [
    '-- incremental_by: k\n-- incremental_from: intermediate.days (k, d)',
    'incremental_from "intermediate.days (k, d)" is not "<schema>.<model>" or "<schema>.<model> (<its key column>)"',
  ],
  [
    '-- incremental_by: k, d\n-- incremental_from: intermediate.days (k, d, e)',
    'incremental_from "intermediate.days (k, d, e)" is not "<schema>.<model>" or "<schema>.<model> (<its key column>)" or "<schema>.<model> (<its key column>, <its d column>)"',
  ],
  [
    '-- incremental_by: k, d\n-- incremental_from: intermediate.days (k',
    'incremental_from "intermediate.days (k" is not "<schema>.<model>" or "<schema>.<model> (<its key column>)" or "<schema>.<model> (<its key column>, <its d column>)"',
  ],
  [
    '-- incremental_by: k, d\n-- incremental_from: intermediate.days (k, d)), x',
    'incremental_from "intermediate.days (k, d)), x" is not "<schema>.<model>" or "<schema>.<model> (<its key column>)" or "<schema>.<model> (<its key column>, <its d column>)"',
  ],
])('a header %j is refused with one line (exit 5), not read as something else', (header, message) => {
  const err = modelsFolderError(folderWith(header));
  expect(err.message).toBe(`model marts.m: ${message}`);
  expect(err.exitCode).toBe(ExitCode.modelFailed);
});

test("elt.fold_keys() answers only inside the engine's fold of a model with a lower bound: its source view read at any other time is an error, whatever the session's elt.fold_model says", async () => {
  const db = await createTestDatabase({ migrated: true });
  try {
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
    const { rows } = await db.pool.query<{ view: string }>("select source_view as view from elt.models where name = 'marts.article_performance'");
    const view = rows[0]?.view as string;
    const refusal =
      /^elt\.fold_keys\(\) is read by the query of a model with a lower bound \(incremental_by: <key>, <bound>\) while the engine brings it up to date, and at no other time$/;
    await expect(db.pool.query(`select * from ${view}`)).rejects.toThrow(refusal);
    await expect(db.pool.query('select * from elt.fold_keys()')).rejects.toThrow(refusal);
    // a session that names the model itself still has no working table of the engine's: refused, not an empty answer
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query("select set_config('elt.fold_model', 'marts.article_performance', true)");
      await expect(client.query(`select * from ${view}`)).rejects.toThrow(refusal);
      await client.query('rollback');
      await client.query('begin');
      await client.query("select set_config('elt.fold_model', 'marts.user_performance', true)");
      await expect(client.query('select * from elt.fold_keys()')).rejects.toThrow(refusal);
    } finally {
      await client.query('rollback');
      client.release();
    }
  } finally {
    await db.drop();
  }
}, 60_000);
