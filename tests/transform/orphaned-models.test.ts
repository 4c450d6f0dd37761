import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { formatLineageMermaid, formatLineageText, readLineage } from '../../observe/lineage';
import { readModels } from '../../transform/model-catalog';
import { readOrphans } from '../../transform/orphaned-models';
import { sourceViewOf } from '../../transform/source-views';
import { formatStatus, readStatus } from '../../observe/status';
import { insertRawEvents } from '../helpers/raw-events';
import { copyOfModels, createTestDatabase, type TestDatabase } from '../helpers/test-database';

// A model whose file is gone is an orphan: kept with its data and state, reported, and
// dropped only when asked (--prune, --drop-orphan), never as a side effect (issue 23, item 7).

let db: TestDatabase;
let modelsDir: string;

// every test on a fresh database and a fresh copy of the models, plus an analyst's view model, built once
beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  await insertRawEvents(db.pool, [
    { ts: '2019-02-15 10:00:00 +0000', session: 's', event: 'my_news_card_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
    { ts: '2019-02-15 10:01:00 +0000', session: 's', event: 'article_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
  ]);
  modelsDir = copyOfModels();
  writeFileSync(
    join(modelsDir, 'marts', 'session_days.sql'),
    "-- an analyst's view on the sessions\n-- materialized: view\nselect session_date, count(*) as sessions from intermediate.int_sessions group by session_date\n",
  );
  await build();
});
afterEach(() => db.drop());

type BuildOptions = Omit<Parameters<typeof buildModels>[1], 'dir' | 'log'>;
function build(options: BuildOptions = {}, warnings: string[] = []) {
  const log = { ...silentLogger, warn: (message: string) => warnings.push(message) };
  return buildModels(db.pool, { dir: modelsDir, log, ...options });
}

const removeModel = (relativePath: string) => rmSync(join(modelsDir, relativePath));
function editModel(relativePath: string): void {
  const path = join(modelsDir, relativePath);
  writeFileSync(path, readFileSync(path, 'utf8').replace('select * from final', 'select * from final where true'));
}

async function present(name: string): Promise<boolean> {
  const { rows } = await db.pool.query<{ present: boolean }>('select to_regclass($1) is not null as present', [name]);
  return rows[0]?.present === true;
}

async function stateRows(name: string): Promise<{ models: number; inputs: number; folded: number }> {
  const { rows } = await db.pool.query<{ models: number; inputs: number; folded: number }>(
    `select (select count(*)::int from elt.models where name = $1) as models,
            (select count(*)::int from elt.model_inputs where model = $1) as inputs,
            (select count(*)::int from elt.folded_loads where model = $1) as folded`,
    [name],
  );
  return rows[0] as { models: number; inputs: number; folded: number };
}

test('a model whose file is removed is kept with its rows, its elt.models row and its incremental state, and reported as orphaned', async () => {
  const before = await db.pool.query('select * from marts.user_performance order by user_id, date');
  expect(before.rows.length).toBeGreaterThan(0);
  const stateBefore = await stateRows('marts.user_performance');
  removeModel('marts/user_performance.sql');
  const warnings: string[] = [];
  const result = await build({}, warnings);
  expect(result).toMatchObject({ built: [], orphaned: ['marts.user_performance'], pruned: [] });
  expect(warnings).toEqual([
    `orphaned model marts.user_performance: its file is no longer in ${modelsDir}; kept as it is (elt build --drop-orphan marts.user_performance or --prune drops it)`,
  ]);
  expect((await db.pool.query('select * from marts.user_performance order by user_id, date')).rows).toEqual(before.rows);
  expect(await stateRows('marts.user_performance')).toEqual(stateBefore);
  // the engine applies the incremental models in build order: an orphan (which no model may read) comes after every model
  const { rows: order } = await db.pool.query<{ name: string }>('select name from elt.models order by build_order');
  expect(order.map((row) => row.name).at(-1)).toBe('marts.user_performance');
  // a second build leaves it as it is, and says so again
  expect(await build()).toMatchObject({ built: [], orphaned: ['marts.user_performance'], pruned: [] });
  expect(await present('marts.user_performance')).toBe(true);
});

test('an orphan whose file comes back is a model again, unchanged and not rebuilt', async () => {
  const sql = readFileSync(join(modelsDir, 'marts/user_performance.sql'), 'utf8');
  removeModel('marts/user_performance.sql');
  await build();
  writeFileSync(join(modelsDir, 'marts/user_performance.sql'), sql);
  expect(await build()).toMatchObject({ built: [], orphaned: [], pruned: [] });
});

test('--prune drops every orphan, dependents first, with its source view and its elt.models, elt.model_inputs and elt.folded_loads rows', async () => {
  // a by-load model and the mart that reads it: both orphans
  removeModel('marts/user_performance.sql');
  removeModel('intermediate/int_user_days_by_load.sql');
  await build();
  expect(await stateRows('intermediate.int_user_days_by_load')).toMatchObject({ models: 1, folded: 1 });
  const result = await build({ prune: 'all' });
  expect(result).toMatchObject({ built: [], orphaned: [], pruned: ['marts.user_performance', 'intermediate.int_user_days_by_load'] });
  for (const name of ['marts.user_performance', 'intermediate.int_user_days_by_load']) {
    expect(await present(name)).toBe(false);
    expect(await present(sourceViewOf(name))).toBe(false);
    expect(await stateRows(name)).toEqual({ models: 0, inputs: 0, folded: 0 });
  }
  // the other models are untouched
  expect(await present('intermediate.int_sessions')).toBe(true);
  expect((await build()).orphaned).toEqual([]);
});

test('--drop-orphan drops only the orphans it names, never one another orphan reads, a model with a file or a relation that is no model', async () => {
  removeModel('marts/user_performance.sql');
  removeModel('intermediate/int_user_days_by_load.sql');
  await build();
  // the mart (an orphan too) reads it: refused, naming the mart, nothing dropped
  await expect(build({ prune: ['intermediate.int_user_days_by_load'] })).rejects.toThrow(
    /cannot drop the orphaned model intermediate\.int_user_days_by_load: the orphaned model marts\.user_performance reads it/,
  );
  expect(await present('intermediate.int_user_days_by_load')).toBe(true);
  for (const name of ['intermediate.int_sessions', 'raw.raw_events', 'public.nope', 'marts.user_performance"; drop table raw.loads; --']) {
    const failure = await build({ prune: [name] }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ exitCode: ExitCode.usage, message: expect.stringMatching(/is not an orphaned model/) });
  }
  expect(await present('raw.loads')).toBe(true);
  expect(await present('intermediate.int_sessions')).toBe(true);
  // a bare relation name works as --select's does
  const result = await build({ prune: ['user_performance'] });
  expect(result).toMatchObject({ orphaned: ['intermediate.int_user_days_by_load'], pruned: ['marts.user_performance'] });
  expect(await present('marts.user_performance')).toBe(false);
  expect(await present('intermediate.int_user_days_by_load')).toBe(true);
});

test('an orphan reading a model that is rebuilt fails the build naming it, and nothing drops it through CASCADE', async () => {
  // two orphans on int_sessions: a view, and an incremental mart (whose query is its source view)
  removeModel('marts/session_days.sql');
  removeModel('marts/user_performance.sql');
  await build();
  editModel('intermediate/int_sessions.sql');
  const failure = await build().catch((err: unknown) => err);
  expect(failure).toMatchObject({ exitCode: ExitCode.modelFailed });
  expect((failure as Error).message).toMatch(
    /^cannot rebuild model intermediate\.int_sessions: the orphaned models marts\.session_days, marts\.user_performance read it \(their files are no longer in .*\); restore their files, or drop them: elt build --prune$/,
  );
  expect(await present('marts.session_days')).toBe(true);
  expect(await present('marts.user_performance')).toBe(true);
  // --full too (the first model in drop order that an orphan reads: the mart reads int_user_days_by_load as well)
  await expect(build({ full: true })).rejects.toThrow(
    /^cannot rebuild model intermediate\.int_user_days_by_load: the orphaned model marts\.user_performance reads it .*elt build --drop-orphan marts\.user_performance$/,
  );
  expect(await present('marts.session_days')).toBe(true);
  // asked for: the orphans go first, then the rebuild goes through
  const result = await build({ prune: 'all' });
  expect(result.built).toEqual(['intermediate.int_sessions']);
  expect(result.pruned.sort()).toEqual(['marts.session_days', 'marts.user_performance']);
});

test('a view outside the models that reads an orphan makes --prune fail loudly and drops nothing', async () => {
  removeModel('marts/session_days.sql');
  await build();
  await db.pool.query('create view public.analyst_view as select * from marts.session_days');
  await expect(build({ prune: 'all' })).rejects.toThrow(
    /cannot drop the orphaned model marts\.session_days: public\.analyst_view \(not a model\) reads it/,
  );
  expect(await present('marts.session_days')).toBe(true);
  expect(await present('public.analyst_view')).toBe(true);
  expect(await stateRows('marts.session_days')).toMatchObject({ models: 1 });
});

test('a row of elt.models naming a relation no model can be (raw.loads) is never dropped by --prune, nor the source view it names', async () => {
  await db.pool.query("insert into elt.models (name, checksum, materialized, build_order) values ('raw.loads', 'x', 'view', 99)");
  await expect(build({ prune: 'all' })).rejects.toThrow(/elt\.models names raw\.loads, which no model can be .*nothing was dropped/);
  expect(await present('raw.loads')).toBe(true);
  await db.pool.query("delete from elt.models where name = 'raw.loads'");
  removeModel('marts/session_days.sql');
  await build();
  await db.pool.query("update elt.models set source_view = 'raw.raw_events' where name = 'marts.session_days'");
  expect((await build({ prune: 'all' })).pruned).toEqual(['marts.session_days']);
  expect(await present('raw.raw_events')).toBe(true);
});

test('a models folder that shares no model with the database is refused, also with --prune, and drops nothing', async () => {
  for (const name of readModels(modelsDir).map((model) => model.path)) rmSync(name);
  writeFileSync(join(modelsDir, 'staging', 'other.sql'), '-- materialized: view\nselect 1 as x\n');
  await expect(build({ prune: 'all' })).rejects.toThrow(/holds none of the 10 models this database has/);
  expect(await present('marts.user_performance')).toBe(true);
});

test('status and lineage show the orphans', async () => {
  removeModel('marts/session_days.sql');
  removeModel('marts/user_performance.sql');
  await build();
  await db.pool.query('drop view marts.session_days');
  const models = readModels(modelsDir);
  const orphans = await readOrphans(db.pool, models);
  expect(orphans).toEqual([
    { name: 'marts.session_days', materialized: 'view', present: false },
    { name: 'marts.user_performance', materialized: 'incremental', present: true },
  ]);
  const status = await readStatus(db.pool, modelsDir);
  expect(status.orphans).toEqual(orphans);
  const text = formatStatus(status);
  expect(text).toContain('orphaned models (their files are gone; kept until elt build --prune or --drop-orphan <model>):');
  expect(text).toMatch(/\n {2}marts\.user_performance +incremental +kept\n/);
  expect(text).toMatch(/\n {2}marts\.session_days +view +not in the database\n/);
  const edges = await readLineage(db.pool);
  const orphaned = new Set(orphans.map((orphan) => orphan.name));
  expect(formatLineageText(edges, orphaned)).toContain(
    'marts.user_performance (orphaned: no model file) <- intermediate.int_sessions, intermediate.int_user_days_by_load',
  );
  expect(formatLineageMermaid(edges, orphaned)).toContain('marts_user_performance["marts.user_performance (orphaned)"]');
});
