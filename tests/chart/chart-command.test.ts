import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Io, Options } from '../../cli/command';
import { chartCommand } from '../../cli/commands/chart';
import { runCommand } from '../../cli/commands/pipeline';
import { commandHelp } from '../../cli/help';
import { SETTINGS } from '../../core/settings/declared-settings';
import type { Setting } from '../../core/settings/setting';
import { ExitCode } from '../../core/errors';
import { silentLogger, type Logger } from '../../core/log';
import { generateLake } from '../../generator/generate-lake';
import { buildModels } from '../../transform/build-models';
import { insertRawEvents } from '../helpers/raw-events';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';
import { categoryDay, CHART_FIXTURE, chartFixtureDatabase } from './chart-fixture';
import { PNG_SIGNATURE } from './png-image';

interface Run {
  code: number;
  stdout: string;
  warnings: string[];
}

/** Runs a command object in-process against `url`, with stdout and warnings captured. */
async function run(command: typeof chartCommand, options: Options, env: NodeJS.ProcessEnv): Promise<Run> {
  let stdout = '';
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
  const io: Io = {
    env,
    log,
    signal: new AbortController().signal,
    stdout: new Writable({
      write(chunk: Buffer, _encoding, done) {
        stdout += chunk.toString();
        done();
      },
    }),
  };
  const code = await command.run(options, io, []);
  return { code, stdout, warnings };
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'elt-chart-command-'));

describe('on the small fixture', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await chartFixtureDatabase();
  });
  afterAll(() => db.drop());

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, ELT_OUTPUT_DIR: undefined, ...extra, DATABASE_URL: db.url });

  test('elt chart --out <dir> --top 2 prints the SVG and PNG paths on stdout, one a line, and exits 0', async () => {
    const out = tempDir();
    const result = await run(chartCommand, { out, top: '2' }, env());
    expect(result.code).toBe(ExitCode.ok);
    expect(result.stdout).toBe(`${join(out, 'ctr_per_category.svg')}\n${join(out, 'ctr_per_category.png')}\n`);
    expect(readFileSync(join(out, 'ctr_per_category.png')).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  test('without --out the chart goes to ELT_OUTPUT_DIR', async () => {
    const out = join(tempDir(), 'from-env');
    const result = await run(chartCommand, {}, env({ ELT_OUTPUT_DIR: out }));
    expect(result.code).toBe(ExitCode.ok);
    expect(existsSync(join(out, 'ctr_per_category.svg'))).toBe(true);
    expect(existsSync(join(out, 'ctr_per_category.png'))).toBe(true);
  });

  test('a --top or --min-displays (or ELT_CHART_MIN_DISPLAYS) that is not a whole number of 1 or more, or a bad --from: usage error (exit 2), before the database is opened', async () => {
    for (const top of ['0', 'five', '2.5']) {
      await expect(run(chartCommand, { out: tempDir(), top }, env())).rejects.toMatchObject({ exitCode: ExitCode.usage });
    }
    // checked before the database is opened: an unreachable one does not matter
    const unreachable = { ...env(), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', ELT_DB_WAIT_SECONDS: '0' };
    await expect(run(chartCommand, { out: tempDir(), from: 'yesterday' }, unreachable)).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: '--from yesterday: must be a day, YYYY-MM-DD (see --help)',
    });
    await expect(run(chartCommand, { out: tempDir(), top: '-1' }, unreachable)).rejects.toMatchObject({ exitCode: ExitCode.usage });
    for (const min of ['0', '1.5', 'lots', '1e400', '-3', '1e10']) {
      await expect(run(chartCommand, { out: tempDir(), 'min-displays': min }, unreachable)).rejects.toMatchObject({
        exitCode: ExitCode.usage,
        message: `--min-displays ${min}: must be a whole number from 1 to 1000000000 (see --help)`,
      });
    }
    await expect(run(chartCommand, { out: tempDir() }, { ...unreachable, ELT_CHART_MIN_DISPLAYS: '0' })).rejects.toMatchObject({
      exitCode: ExitCode.usage,
    });
  });

  test('the help names every flag and its example uses the command', () => {
    const flags = chartCommand.settings.map((key) => SETTINGS[key] as Setting<unknown>).map((setting) => setting.flag);
    expect(flags.sort()).toEqual(['from', 'min-displays', 'out', 'to', 'top']);
    for (const flag of flags) expect(commandHelp(chartCommand)).toMatch(new RegExp(`^  --${flag} `, 'm'));
    expect(chartCommand.example).toBe('npm run elt -- chart --out out --top 5');
  });
});

test('end to end on the demo lake: elt run, then elt chart --top 5 charts the 5 categories with most displays', async () => {
  const db = await createTestDatabase();
  try {
    const lake = tempDir();
    await generateLake({ outDir: lake, days: 3, eventsPerDay: 1500, seed: 42, startDate: '2019-02-15', gzip: false });
    const env = { ...process.env, DATABASE_URL: db.url };
    expect((await run(runCommand, { source: lake }, env)).code).toBe(ExitCode.ok);

    const out = tempDir();
    const all = await run(chartCommand, { out }, env);
    expect(all.code).toBe(ExitCode.ok);
    const { rows } = await db.pool.query<{ category: string }>(
      'select category from marts.category_ctr_daily group by category order by sum(card_views) desc, category limit 5',
    );
    const top = await run(chartCommand, { out, top: '5' }, env);
    expect(top.code).toBe(ExitCode.ok);
    const svg = readFileSync(join(out, 'ctr_per_category.svg'), 'utf8');
    for (const { category } of rows) expect(svg).toContain(`>${category}</text>`);
    expect(svg).toMatch(/>Click-through rate per category, 2019-02-1\d to 2019-02-1\d<\/text>/);
  } finally {
    await db.drop();
  }
});

describe('one far-future event (9999-12-31) among three days of 2019', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    await insertRawEvents(db.pool, [...CHART_FIXTURE, ...categoryDay('news', '9999-12-31', 1, 0)]);
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  });
  afterAll(() => db.drop());

  test('elt chart finishes (exit 0), charts the 2019 days and says on the chart which day it left out', async () => {
    const out = tempDir();
    const result = await run(chartCommand, { out }, { ...process.env, ELT_OUTPUT_DIR: undefined, DATABASE_URL: db.url });
    expect(result.code).toBe(ExitCode.ok);
    const svg = readFileSync(join(out, 'ctr_per_category.svg'), 'utf8');
    expect(svg).toContain('>Click-through rate per category, 2019-02-15 to 2019-02-17</text>');
    expect(svg).toContain(
      '>showing 2019-02-15..2019-02-17; 1 day with data left out (9999-12-31): at most 366 consecutive days are drawn, those with most displays</tspan>',
    );
    expect(result.warnings).toEqual([expect.stringContaining('1 day with data left out (9999-12-31)')]);
  });
});

test('elt run on a lake with one event dated 9999-12-31 finishes and draws the chart of the real days', async () => {
  const db = await createTestDatabase();
  try {
    const lake = tempDir();
    await generateLake({ outDir: lake, days: 1, eventsPerDay: 300, seed: 7, startDate: '2019-02-15', gzip: false });
    writeFileSync(
      join(lake, '2019-02-16.tsv'),
      'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES\n' +
        '9999-12-31 12:00:00 +0000\ts-far\ttop_news_card_viewed\tu-far\t{"id": "a-far", "category": "news"}\n',
    );
    const out = tempDir();
    const result = await run(runCommand, { source: lake, 'output-dir': out }, { ...process.env, ELT_OUTPUT_DIR: undefined, DATABASE_URL: db.url });
    expect(result.code).toBe(ExitCode.ok);
    const svg = readFileSync(join(out, 'ctr_per_category.svg'), 'utf8');
    expect(svg).toMatch(/>Click-through rate per category, 2019-02-1\d to 2019-02-1\d<\/text>/);
    expect(svg).toContain('1 day with data left out (9999-12-31)');
    expect(result.warnings).toContainEqual(expect.stringContaining('1 day with data left out (9999-12-31)'));
  } finally {
    await db.drop();
  }
});
