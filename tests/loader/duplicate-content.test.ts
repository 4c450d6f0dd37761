import { useDatabaseAndLakeFolders } from '../helpers/lake-folders';
import { copyFileSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../core/log';
import type { LakeObject } from '../../loader/sources/lake-object';
import { loadLake } from '../../loader/load-lake';
import { loadObject } from '../../loader/load-object';
import { listLocalObjects } from '../../loader/sources/local-source';
import { runCli } from '../helpers/run-cli';

// The same content under two names (a copy or a symlink of a day's file) is loaded
// once: the second is recorded as a 'duplicate' of the first, also when two loads
// race, unless --allow-duplicates; once the first changes, the second loads.

const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
function day(tag: string, rows: number): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i += 1)
    lines.push(`2019-02-15 03:07:03.662 +0000\ts-${tag}-${i}\ttop_news_card_viewed\tu-${tag}\t{"id":"a-${tag}-${i}"}`);
  return `${lines.join('\n')}\n`;
}

const lakes = useDatabaseAndLakeFolders('elt-duplicates-');
const folder = lakes.folder;

const uri = (path: string) => pathToFileURL(path).href;
const object = (path: string) => listLocalObjects(path)[0] as LakeObject;

async function ledger(path: string) {
  const { rows } = await lakes
    .db()
    .pool.query<{ load_id: string; status: string; duplicate_of: string | null; row_count: string | null }>(
      'select load_id, status, duplicate_of, row_count from raw.loads where source_uri = $1 order by load_id',
      [uri(path)],
    );
  return rows;
}

async function clicksOf(...paths: string[]): Promise<number> {
  const { rows } = await lakes
    .db()
    .pool.query<{ n: number }>(
      "select count(*)::int as n from raw.raw_events e join raw.loads l using (load_id) where l.status = 'loaded' and l.source_uri = any($1)",
      [paths.map(uri)],
    );
  return rows[0]?.n ?? -1;
}

test('a copy and a symlink of a loaded day: loaded once, the others duplicates naming it (warning, ledger, summary line and summary.json)', async () => {
  const dir = folder();
  const a = join(dir, '2019-02-15.tsv');
  writeFileSync(a, day('copy', 3));
  const copy = join(dir, 'copy-of-2019-02-15.tsv');
  copyFileSync(a, copy);
  const link = join(dir, 'latest.tsv');
  symlinkSync(a, link);
  const out = join(dir, 'out');
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: lakes.db().url };
  delete env.ELT_ALLOW_DUPLICATES;
  // one at a time, so the first in name order is the one loaded (at once, whichever comes first)
  const result = await runCli(['run', '--source', dir, '--output-dir', out, '--concurrency', '1'], { env });
  expect(result.stderr).not.toMatch(/elt: error/);
  expect(result.code).toBe(0);
  const [first] = await ledger(a);
  expect(first).toMatchObject({ status: 'loaded', row_count: '3' });
  for (const other of [copy, link]) {
    expect(result.stderr).toContain(`${uri(other)}: same content as ${uri(a)} (loaded as load ${first?.load_id}), skipped as a duplicate`);
    expect(await ledger(other)).toEqual([expect.objectContaining({ status: 'duplicate', duplicate_of: first?.load_id })]);
  }
  expect(result.stdout).toMatch(/load\s+3 files: 1 loaded, 0 skipped, 0 failed, 2 duplicate; 3 rows, 0 rejected/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { load: { summary: { duplicates: number; loaded: number } } };
  expect(summary.load.summary).toMatchObject({ loaded: 1, duplicates: 2 });
  expect(await clicksOf(a, copy, link)).toBe(3);

  // the next run says so again, without another ledger row per run
  const again = await runCli(['load', '--source', dir], { env });
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/3 files: 0 loaded, 1 skipped, 0 failed, 2 duplicate; 0 rows/);
  expect((await ledger(copy)).map((row) => row.status)).toEqual(['duplicate']);
});

test('--allow-duplicates (and ELT_ALLOW_DUPLICATES=1) loads the same content under a second name anyway', async () => {
  const dir = folder();
  const a = join(dir, 'a.tsv');
  writeFileSync(a, day('allowed', 2));
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: lakes.db().url };
  delete env.ELT_ALLOW_DUPLICATES;
  expect((await runCli(['load', '--source', a], { env })).code).toBe(0);
  const b = join(dir, 'b.tsv');
  copyFileSync(a, b);
  const flagged = await runCli(['load', '--source', dir, '--allow-duplicates'], { env });
  expect(flagged.code).toBe(0);
  expect(flagged.stdout).toMatch(/2 files: 1 loaded, 1 skipped, 0 failed; 2 rows/);
  expect(await ledger(b)).toEqual([expect.objectContaining({ status: 'loaded', duplicate_of: null })]);
  const c = join(dir, 'c.tsv');
  copyFileSync(a, c);
  const fromEnv = await runCli(['load', '--source', c], { env: { ...env, ELT_ALLOW_DUPLICATES: '1' } });
  expect(fromEnv.code).toBe(0);
  expect(await ledger(c)).toEqual([expect.objectContaining({ status: 'loaded' })]);
  expect(await clicksOf(a, b, c)).toBe(6);
});

test('two loads of two names of the same content at once: one loaded, one duplicate, the rows there once', async () => {
  const dir = folder();
  const content = day('race', 5000);
  const paths = ['one.tsv', 'two.tsv'].map((name) => join(dir, name));
  for (const path of paths) writeFileSync(path, content);
  // both reach their read before either commits (or 2 s pass: a load waiting for the other's lock never opens)
  let opened = 0;
  let release: () => void = () => undefined;
  const both = new Promise<void>((resolve) => (release = resolve));
  const objects = paths.map((path): LakeObject => {
    const local = object(path);
    return {
      ...local,
      open: async () => {
        opened += 1;
        if (opened === 2) release();
        await Promise.race([both, new Promise((resolve) => setTimeout(resolve, 2000))]);
        return local.open();
      },
    };
  });
  const results = await Promise.all(objects.map((o) => loadObject(lakes.db().pool, o, { maxRejectRatio: 0.05 })));
  expect(results.map((r) => r.status).sort()).toEqual(['duplicate', 'loaded']);
  expect(await clicksOf(...paths)).toBe(5000);
  const rows = [...(await ledger(paths[0] as string)), ...(await ledger(paths[1] as string))];
  expect(rows.map((r) => r.status).sort()).toEqual(['duplicate', 'loaded']);
  expect(rows.find((r) => r.status === 'duplicate')?.duplicate_of).toBe(rows.find((r) => r.status === 'loaded')?.load_id);
});

test('once the first file changes, its former duplicate is loaded by the next run (also when both load at once)', async () => {
  const dir = folder();
  const a = join(dir, 'a.tsv');
  const b = join(dir, 'b.tsv');
  writeFileSync(a, day('before', 2000));
  copyFileSync(a, b);
  const first = await loadLake(lakes.db().pool, listLocalObjects(dir), silentLogger, { concurrency: 1 });
  expect(first).toMatchObject({ loaded: 1, duplicates: 1 });
  writeFileSync(a, day('after', 7));
  utimesSync(a, new Date(), new Date(Date.now() + 5000));
  const next = await loadLake(lakes.db().pool, listLocalObjects(dir), silentLogger, { concurrency: 2 });
  expect(next).toMatchObject({ loaded: 2, duplicates: 0, failed: 0, rows: 2007 });
  expect((await ledger(a)).map((r) => r.status)).toEqual(['replaced', 'loaded']);
  expect((await ledger(b)).map((r) => r.status)).toEqual(['duplicate', 'loaded']);
  expect(await clicksOf(a)).toBe(7);
  expect(await clicksOf(b)).toBe(2000);
});

test('files with the same content but no rows (header only) are not duplicates: there is nothing to count twice', async () => {
  const dir = folder();
  for (const name of ['2019-03-01.tsv', '2019-03-02.tsv']) writeFileSync(join(dir, name), `${HEADER}\n`);
  expect(await loadLake(lakes.db().pool, listLocalObjects(dir), silentLogger)).toMatchObject({ loaded: 2, duplicates: 0 });
});
