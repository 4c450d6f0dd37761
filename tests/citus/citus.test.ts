import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { generateLake } from '../../generator/generate-lake';
import { NATS_SERVER, startNatsServer } from '../../scripts/nats-server';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { killAll, startCli, waitFor } from '../s3/cli-process';

// The pipeline on a Citus cluster (docs/guides/citus.md): ELT_TEST_CITUS_URL names a
// database on a Citus coordinator with workers (the citus extension created, the workers
// added). Citus is not a Debian package, so CI has none: without the variable these tests
// are reported as skipped. Every test starts from an empty database there (the schemas of
// the pipeline dropped) and compares with the same commands on the single-node test server.
const CITUS_URL = process.env.ELT_TEST_CITUS_URL;
const describeCitus = CITUS_URL ? describe : describe.skip;

const MARTS = [
  ['marts.article_performance', 'article_id, date'],
  ['marts.user_performance', 'user_id, date'],
  ['marts.category_ctr_daily', 'category, date'],
] as const;

const day = (n: number) => `2019-02-${15 + n}.tsv`;

/** elt stream needs a nats-server (Debian's, or ELT_TEST_NATS_SERVER). */
const hasNatsServer = spawnSync(NATS_SERVER, ['--version']).status === 0;

describeCitus(CITUS_URL ? 'Citus' : 'Citus (skipped: ELT_TEST_CITUS_URL not set)', () => {
  jest.setTimeout(180_000);
  let citus: Pool;
  let single: TestDatabase;
  let generated: string;

  /** An empty Citus database: what the pipeline made there is dropped (distributed tables with their shards). */
  async function resetCitus(): Promise<void> {
    await citus.query('drop schema if exists raw, staging, intermediate, marts, elt, elt_engine cascade');
  }

  async function resetSingle(): Promise<void> {
    await single.pool.query('drop schema if exists raw, staging, intermediate, marts, elt, elt_engine cascade');
  }

  const elt = async (url: string, args: string[]) => {
    const result = await runCli(args, { env: { ...process.env, DATABASE_URL: url, ELT_LOG_FORMAT: 'human' } });
    if (result.code !== 0) throw new Error(`elt ${args.join(' ')} exited with ${result.code}:\n${result.stderr}\n${result.stdout}`);
    return result;
  };

  async function marts(pool: Pool | Client): Promise<Record<string, unknown[]>> {
    const result: Record<string, unknown[]> = {};
    for (const [mart, key] of MARTS) result[mart] = (await pool.query(`select * from ${mart} order by ${key}`)).rows;
    return result;
  }

  /** A lake folder holding the generated days `days`. */
  function lakeOf(days: number[]): string {
    const lake = mkdtempSync(join(tmpdir(), 'elt-citus-lake-'));
    for (const n of days) copyFileSync(join(generated, day(n)), join(lake, day(n)));
    return lake;
  }

  beforeAll(async () => {
    citus = new Pool({ connectionString: CITUS_URL, max: 4 });
    citus.on('error', () => undefined);
    single = await createTestDatabase();
    generated = mkdtempSync(join(tmpdir(), 'elt-citus-generated-'));
    await generateLake({ outDir: generated, days: 4, eventsPerDay: 600, seed: 17 });
  });
  beforeEach(async () => {
    await resetCitus();
    await resetSingle();
  });
  afterEach(() => killAll());
  afterAll(async () => {
    await citus?.end();
    await single?.drop();
  });

  test('elt migrate and build on Citus distribute raw events and rejects on line_no, int_events and int_sessions on session_id (co-located), make elt.settings a reference table and keep the ledger, bookkeeping and marts on the coordinator', async () => {
    await elt(CITUS_URL as string, ['run', '--source', lakeOf([0]), '--output-dir', mkdtempSync(join(tmpdir(), 'elt-citus-out-'))]);
    const { rows } = await citus.query<{ table: string; method: string; column: string | null; colocation: number }>(
      `select logicalrelid::text as table, partmethod as method,
              case when partkey is not null then column_to_column_name(logicalrelid, partkey) end as column, colocationid as colocation
         from pg_dist_partition
        where logicalrelid::text ~ '^(raw|elt|staging|intermediate|marts)\\.'
        order by 1`,
    );
    const layout = Object.fromEntries(rows.map((row) => [row.table, [row.method, row.column]]));
    expect(layout).toEqual({
      'elt.settings': ['n', null],
      'intermediate.int_events': ['h', 'session_id'],
      'intermediate.int_sessions': ['h', 'session_id'],
      'raw.raw_events': ['h', 'line_no'],
      'raw.rejected_rows': ['h', 'line_no'],
    });
    const colocation = (table: string) => rows.find((row) => row.table === table)?.colocation;
    expect(colocation('intermediate.int_sessions')).toBe(colocation('intermediate.int_events'));
    expect(colocation('raw.rejected_rows')).toBe(colocation('raw.raw_events'));
    // the shards are on the workers
    const { rows: nodes } = await citus.query<{ nodes: number }>(
      "select count(distinct nodename || ':' || nodeport)::int as nodes from citus_shards where table_name = 'raw.raw_events'::regclass",
    );
    expect(nodes[0]?.nodes).toBeGreaterThanOrEqual(2);
  });

  test("the project's roles made by elt migrate on Citus exist on every worker; a loader login (its password in pg_dist_authinfo) runs elt load, a reader login elt query, as on one node", async () => {
    await elt(CITUS_URL as string, ['run', '--source', lakeOf([0]), '--output-dir', mkdtempSync(join(tmpdir(), 'elt-citus-out-'))]);
    const { rows: names } = await citus.query<{ reader: string; analyst: string; loader: string }>(
      "select elt.role_name('reader') as reader, elt.role_name('analyst') as analyst, elt.role_name('loader') as loader",
    );
    const roles = names[0] as { reader: string; analyst: string; loader: string };
    const { rows } = await citus.query<{ result: string }>(
      `select result from run_command_on_workers($$select count(*) from pg_roles where rolname in ('${roles.reader}', '${roles.analyst}', '${roles.loader}')$$)`,
    );
    expect(rows.map((row) => row.result)).toEqual(rows.map(() => '3'));

    const suffix = randomBytes(4).toString('hex');
    const password = randomBytes(16).toString('hex');
    const logins = { loader: `citus_test_loader_${suffix}`, reader: `citus_test_reader_${suffix}` };
    const urlOf = (login: string) => {
      const url = new URL(CITUS_URL as string);
      url.username = login;
      url.password = password;
      return url.toString();
    };
    try {
      for (const [kind, login] of Object.entries(logins)) {
        await citus.query(`create role ${login} login password '${password}' in role "${roles[kind as 'loader' | 'reader']}"`);
      }
      // the coordinator logs in to the workers as the loader too (COPY into the shards)
      await citus.query("insert into pg_dist_authinfo (nodeid, rolename, authinfo) values (0, $1, 'password=' || $2)", [logins.loader, password]);
      const loaded = await elt(urlOf(logins.loader), ['load', '--source', lakeOf([1])]);
      expect(loaded.stdout).toMatch(/1 files: 1 loaded/);
      const { rows: raw } = await citus.query<{ n: number }>('select count(distinct load_id)::int as n from raw.raw_events');
      expect(raw[0]?.n).toBe(2);
      const query = await elt(urlOf(logins.reader), ['query', 'select count(*) > 0 as has_rows from marts.article_performance', '--csv']);
      expect(query.stdout).toMatch(/^has_rows\s+t(rue)?\s*$/);
    } finally {
      await citus.query('delete from pg_dist_authinfo where rolename = any($1)', [Object.values(logins)]);
      for (const login of Object.values(logins)) await citus.query(`drop role if exists ${login}`);
    }
  });

  test('a full elt run on Citus gives the marts of a single-node run on the same lake', async () => {
    const lake = lakeOf([0, 1, 2, 3]);
    const out = mkdtempSync(join(tmpdir(), 'elt-citus-out-'));
    const onCitus = await elt(CITUS_URL as string, ['run', '--source', lake, '--output-dir', out]);
    await elt(single.url, ['run', '--source', lake, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-single-out-'))]);
    expect(onCitus.stdout).toMatch(/4 files: 4 loaded, 0 skipped, 0 failed/);
    const expected = await marts(single.pool);
    expect(expected['marts.user_performance']?.length).toBeGreaterThan(0);
    expect(await marts(citus)).toEqual(expected);
  });

  test('incremental runs on Citus (a new day, then a replaced file with late events for the first day) give the marts of single-node runs, and of a full build', async () => {
    const lake = lakeOf([0, 1]);
    const runBoth = async () => {
      await elt(CITUS_URL as string, ['run', '--source', lake, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-citus-out-'))]);
      await elt(single.url, ['run', '--source', lake, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-single-out-'))]);
      expect(await marts(citus)).toEqual(await marts(single.pool));
    };
    await runBoth();
    copyFileSync(join(generated, day(2)), join(lake, day(2)));
    await runBoth();
    // day 1's file replaced: late events of day 0 for a session and an article that already exist
    const { rows } = await citus.query<{ session_id: string; user_id: string; article_id: string }>(
      `select s.session_id, s.user_id, a.article_id
         from intermediate.int_sessions as s, marts.article_performance as a
        where s.session_date = '2019-02-15' and a.date = '2019-02-15'
        order by s.session_id, a.article_id limit 1`,
    );
    const known = rows[0] as { session_id: string; user_id: string; article_id: string };
    const late = [
      `2019-02-15 23:59:59.000 +0000\t${known.session_id}\tarticle_viewed\t${known.user_id}\t{"id": "${known.article_id}"}`,
      `2019-02-15 10:00:00.000 +0000\tlate-session\tmy_news_card_viewed\tlate-user\t{"id": "late-article", "category": "news", "title": "Late"}`,
    ];
    writeFileSync(join(lake, day(1)), `${readFileSync(join(generated, day(1)), 'utf8')}${late.join('\n')}\n`);
    await runBoth();
    // and both equal a build from scratch on Citus
    const incremental = await marts(citus);
    await elt(CITUS_URL as string, ['build', '--full']);
    expect(await marts(citus)).toEqual(incremental);
    const { rows: ledger } = await citus.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from raw.loads group by status order by status',
    );
    expect(ledger).toEqual([
      { status: 'loaded', n: 3 },
      { status: 'replaced', n: 1 },
    ]);
  });

  test('two elt runs at once on Citus load each file exactly once and give the marts of one single-node run', async () => {
    const lake = lakeOf([0, 1, 2, 3]);
    await elt(CITUS_URL as string, ['migrate']);
    const [first, second] = await Promise.all(
      [1, 2].map(() =>
        elt(CITUS_URL as string, ['run', '--source', lake, '--concurrency', '2', '--output-dir', mkdtempSync(join(tmpdir(), 'elt-citus-out-'))]),
      ),
    );
    expect(`${first?.stdout}\n${second?.stdout}`).toMatch(/4 files/);
    const { rows } = await citus.query<{ loaded: number; uris: number; rows: number; raw: number }>(
      `select count(*) filter (where status = 'loaded')::int as loaded, count(distinct source_uri)::int as uris,
              sum(row_count) filter (where status = 'loaded')::int as rows, (select count(*)::int from raw.raw_events) as raw
         from raw.loads`,
    );
    expect(rows[0]?.loaded).toBe(4);
    expect(rows[0]?.uris).toBe(4);
    expect(rows[0]?.raw).toBe(rows[0]?.rows);
    await elt(single.url, ['run', '--source', lake, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-single-out-'))]);
    expect(await marts(citus)).toEqual(await marts(single.pool));
  });

  test("a load killed with SIGKILL mid-COPY on Citus leaves none of its rows on the workers and a 'loading' row; the next load marks it 'abandoned' and loads the file once", async () => {
    const big = mkdtempSync(join(tmpdir(), 'elt-citus-big-'));
    await generateLake({ outDir: big, days: 1, eventsPerDay: 150_000, seed: 3 });
    const uri = `file://${join(big, day(0))}`;
    await elt(CITUS_URL as string, ['migrate']);
    const victim = startCli(['load', '--source', big], { env: { ...process.env, DATABASE_URL: CITUS_URL } });
    const pid = await waitFor(
      'the attempt to be recorded and its COPY under way',
      async () => {
        const { rows } = await citus.query<{ pid: number }>(
          `select l.backend_pid as pid from raw.loads as l join pg_stat_activity as a on a.pid = l.backend_pid
            where l.source_uri = $1 and l.status = 'loading' and a.query ilike 'copy raw.raw_events%'`,
          [uri],
        );
        return rows[0]?.pid;
      },
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    victim.kill();
    expect((await victim.done).signal).toBe('SIGKILL');
    await waitFor('the killed backend to exit', async () => {
      const { rowCount } = await citus.query('select 1 from pg_stat_activity where pid = $1', [pid]);
      return rowCount === 0 ? true : undefined;
    });
    const ledger = async () =>
      (
        await citus.query<{ status: string; row_count: string | null }>(
          'select status, row_count from raw.loads where source_uri = $1 order by load_id',
          [uri],
        )
      ).rows;
    expect(await ledger()).toEqual([{ status: 'loading', row_count: null }]);
    expect((await citus.query<{ n: number }>('select count(*)::int as n from raw.raw_events')).rows[0]?.n).toBe(0);

    await elt(CITUS_URL as string, ['load', '--source', big]);
    expect(await ledger()).toEqual([
      { status: 'abandoned', row_count: null },
      { status: 'loaded', row_count: expect.any(String) },
    ]);
    const { rows } = await citus.query<{ raw: number; counted: number }>(
      "select (select count(*)::int from raw.raw_events) as raw, (select row_count::int from raw.loads where status = 'loaded') as counted",
    );
    expect(rows[0]?.raw).toBe(rows[0]?.counted);
  });

  test('elt test, status, lineage, freshness and query run on Citus and say what they say on one node', async () => {
    const lake = lakeOf([0, 1]);
    await elt(CITUS_URL as string, ['run', '--source', lake, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-citus-out-'))]);
    await elt(single.url, ['run', '--source', lake, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-single-out-'))]);
    const both = async (args: string[]) => [(await elt(CITUS_URL as string, args)).stdout, (await elt(single.url, args)).stdout];

    const [citusTests, singleTests] = await both(['test']);
    expect(citusTests).toMatch(/passed/);
    expect(citusTests).toBe(singleTests);
    const [citusLineage, singleLineage] = await both(['lineage', '--mermaid']);
    expect(citusLineage).toBe(singleLineage);
    const status = JSON.parse((await elt(CITUS_URL as string, ['status', '--json'])).stdout) as {
      marts: { name: string; rows: number; stale: boolean }[];
    };
    expect(status.marts.map((mart) => `${mart.name} stale: ${mart.stale}`).sort()).toEqual(MARTS.map(([mart]) => `${mart} stale: false`).sort());
    const freshness = await elt(CITUS_URL as string, ['freshness', '--by', 'load', '--json']);
    expect(freshness.stdout).toMatch(/2019-02-16/);
    const [citusQuery, singleQuery] = await both([
      'query',
      'select category, sum(card_views) as displays from marts.category_ctr_daily group by 1 order by 1',
      '--csv',
    ]);
    expect(citusQuery).toBe(singleQuery);
    const [citusRaw, singleRaw] = await both([
      'query',
      'select count(*) as events, count(distinct session_id) as sessions from intermediate.int_events',
      '--csv',
    ]);
    expect(citusRaw).toBe(singleRaw);
  });

  (hasNatsServer ? test : test.skip)(
    `elt stream on Citus gives the marts of elt run of the same files on one node${hasNatsServer ? '' : ' (skipped: no nats-server)'}`,
    async () => {
      const nats = await startNatsServer();
      try {
        const lake = lakeOf([0, 1, 2]);
        const published = await elt(single.url, ['publish', '--source', lake, '--to', nats.url('CITUS'), '--create-stream']);
        expect(published.stdout).toMatch(/published/);
        const stream = await elt(CITUS_URL as string, ['stream', '--source', nats.url('CITUS'), '--until-idle', '--max-events', '500']);
        expect(stream.stdout).toMatch(/lag 0/);
        await elt(single.url, ['run', '--source', lake, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-single-out-'))]);
        expect(await marts(citus)).toEqual(await marts(single.pool));
      } finally {
        await nats.stop();
      }
    },
  );

  test('a single-node database moved to Citus (create extension citus, workers added) is distributed by the next elt run, keeping its ledger and marts, loading nothing again', async () => {
    const name = `elt_citus_moved_${randomBytes(4).toString('hex')}`;
    const { rows: workers } = await citus.query<{ port: number; host: string }>(
      "select nodename as host, nodeport as port from pg_dist_node where noderole = 'primary' and groupid <> 0 order by nodeport",
    );
    const nodeUrl = (host: string, port: number, database: string) => {
      const url = new URL(CITUS_URL as string);
      url.hostname = host;
      url.port = String(port);
      url.pathname = `/${database}`;
      return url.toString();
    };
    const coordinator = new URL(CITUS_URL as string);
    const onNode = async (url: string, sql: string[]) => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        for (const statement of sql) await client.query(statement);
      } finally {
        await client.end();
      }
    };
    const movedUrl = nodeUrl(coordinator.hostname, Number(coordinator.port), name);
    await onNode(CITUS_URL as string, [`create database ${name}`]);
    try {
      const lake = lakeOf([0, 1]);
      // one Postgres: the database has no citus extension yet
      await elt(movedUrl, ['run', '--source', lake, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-citus-out-'))]);
      const moved = new Pool({ connectionString: movedUrl, max: 2 });
      try {
        const before = await marts(moved);
        expect((await moved.query('select count(*)::int as n from pg_extension where extname = $1', ['citus'])).rows[0]).toEqual({ n: 0 });
        // what a user does to move it: the database and the extension on the workers, then the extension and the workers here
        for (const worker of workers) {
          await onNode(nodeUrl(worker.host, worker.port, 'postgres'), [`create database ${name}`]);
          await onNode(nodeUrl(worker.host, worker.port, name), ['create extension citus']);
        }
        await onNode(movedUrl, [
          'create extension citus',
          `select citus_set_coordinator_host('${coordinator.hostname}', ${Number(coordinator.port)})`,
          ...workers.map((worker) => `select citus_add_node('${worker.host}', ${worker.port})`),
        ]);
        const run = await elt(movedUrl, ['run', '--source', lake, '--output-dir', mkdtempSync(join(tmpdir(), 'elt-citus-out-'))]);
        expect(run.stdout).toMatch(/2 files: 0 loaded, 2 skipped, 0 failed/);
        const { rows } = await moved.query<{ table: string }>(
          "select logicalrelid::text as table from pg_dist_partition where partmethod = 'h' order by 1",
        );
        expect(rows.map((row) => row.table)).toEqual(['intermediate.int_events', 'intermediate.int_sessions', 'raw.raw_events', 'raw.rejected_rows']);
        expect(await marts(moved)).toEqual(before);
        const { rows: all } = await moved.query<{ n: number }>('select count(*)::int as n from raw.raw_events');
        expect(all[0]?.n).toBeGreaterThan(0);
        const { rows: ledger } = await moved.query<{ status: string; n: number }>('select status, count(*)::int as n from raw.loads group by status');
        expect(ledger).toEqual([{ status: 'loaded', n: 2 }]);
      } finally {
        await moved.end();
      }
    } finally {
      for (const worker of workers) {
        await onNode(nodeUrl(worker.host, worker.port, 'postgres'), [`drop database if exists ${name} with (force)`]).catch(() => undefined);
      }
      await onNode(CITUS_URL as string, [`drop database if exists ${name} with (force)`]);
    }
  });
});
