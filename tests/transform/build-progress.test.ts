import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModels } from '../../transform/build-models';
import { recorder } from '../helpers/recording-log';
import { copyOfModels, createTestDatabase, type TestDatabase } from '../helpers/test-database';

// A long build says what it is doing as it goes, as dbt does: "3 of 9 START table ..." before a
// model, "3 of 9 OK table ... in 15.7s" after it, each an event (model, index, total, ms) in JSON.

let db: TestDatabase;
let modelsDir: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  modelsDir = copyOfModels();
});
afterAll(() => db.drop());

test('a build prints "i of n START <kind> <model>" before each model and "i of n OK <kind> <model> in <s>s" after it, in build order', async () => {
  const { log, lines, events } = recorder({ json: true });
  const result = await buildModels(db.pool, { dir: modelsDir, log });
  const n = result.built.length;
  expect(n).toBe(9);
  const progress = lines.filter((line) => / of \d+ (START|OK|ERROR) /.test(line));
  const kind = (model: string) => (model.startsWith('staging.') ? 'view' : 'table');
  expect(progress.map((line) => line.replace(/ in \d+\.\d+s$/, ' in <t>'))).toEqual(
    result.built.flatMap((model, index) => [
      `info ${index + 1} of ${n} START ${kind(model)} ${model}`,
      `info ${index + 1} of ${n} OK ${kind(model)} ${model} in <t>`,
    ]),
  );
  const ok = events.filter((event) => event.fields.status === 'ok');
  expect(ok.map((event) => [event.fields.model, event.fields.index, event.fields.total])).toEqual(
    result.built.map((model, index) => [model, index + 1, n]),
  );
  for (const event of ok) expect(event.fields.ms).toEqual(expect.any(Number));
});

test('a model that fails says "i of n ERROR" before the build fails naming it; a build with nothing to do prints no START line', async () => {
  const { log, lines } = recorder();
  await expect(buildModels(db.pool, { dir: modelsDir, log })).resolves.toMatchObject({ built: [] });
  expect(lines.filter((line) => / START /.test(line))).toEqual([]);
  const path = join(modelsDir, 'marts', 'user_performance.sql');
  writeFileSync(path, readFileSync(path, 'utf8').replace('select * from final', 'select * from final where no_such_column'));
  const failing = recorder();
  await expect(buildModels(db.pool, { dir: modelsDir, log: failing.log })).rejects.toThrow(/model marts.user_performance .* failed to build/);
  expect(failing.lines.filter((line) => / of \d+ /.test(line)).map((line) => line.replace(/ in \d+\.\d+s$/, ' in <t>'))).toEqual([
    'info 1 of 1 START table marts.user_performance',
    'error 1 of 1 ERROR table marts.user_performance in <t>',
  ]);
});
