/**
 * `npm run bench:citus`: the same pipeline on a Citus cluster and on one Postgres, on
 * the same generated lake: `elt run` from scratch on all days but the last, then `elt
 * run` after the last day arrives (+1 day). The single node is a database without the
 * citus extension on the same server as the coordinator (same binaries, same settings),
 * so the difference is the layout, not the server. Prints one table on stdout (logs on
 * stderr) and writes the figures to <out>/bench-citus.json.
 *
 * --citus-url: a database on the coordinator with the citus extension and its workers
 * (default ELT_TEST_CITUS_URL); --single-url: the single-node database (default: the
 * database bench_single on the coordinator's server, created when missing).
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { createLogger, formatMs } from '../../core/log';
import { redactUrl } from '../../db/connect';
import { generateLake } from '../../generator/generate-lake';
import { describeMachine } from './machine';
import { readSummary, runElt } from './run';

const log = createLogger(process.stderr);

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '10' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: 'bench-results' },
    'citus-url': { type: 'string' },
    'single-url': { type: 'string' },
  },
});

const citusUrl = values['citus-url'] ?? process.env.ELT_TEST_CITUS_URL;
if (!citusUrl) {
  process.stderr.write('bench:citus: give --citus-url or set ELT_TEST_CITUS_URL (a database on a Citus coordinator)\n');
  process.exit(2);
}

/** The single-node database: --single-url, else bench_single on the coordinator's server (created when missing). */
async function singleNodeUrl(): Promise<string> {
  if (values['single-url']) return values['single-url'];
  const url = new URL(citusUrl as string);
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("select from pg_database where datname = 'bench_single'");
    if (rowCount === 0) await admin.query('create database bench_single');
  } finally {
    await admin.end();
  }
  url.pathname = '/bench_single';
  return url.toString();
}

/** Drops what the pipeline made in a database: the next run starts from nothing. */
async function reset(url: string): Promise<{ citus: boolean; version: string }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('drop schema if exists raw, staging, intermediate, marts, elt, elt_engine cascade');
    const { rows } = await client.query<{ citus: boolean; version: string }>(
      "select exists (select from pg_extension where extname = 'citus') as citus, current_setting('server_version') as version",
    );
    return rows[0] as { citus: boolean; version: string };
  } finally {
    await client.end();
  }
}

interface Row {
  target: string;
  step: string;
  wallMs: number;
  phases: string;
}

async function main(): Promise<void> {
  const events = Number(values.events);
  const days = Number(values.days);
  const seed = Number(values.seed);
  const root = mkdtempSync(join(tmpdir(), 'elt-bench-citus-'));
  const eventsPerDay = Math.max(1, Math.round(events / days));
  log.info(`generating ${days} day(s), ~${eventsPerDay.toLocaleString('en-US')} events/day, seed ${seed} into ${root}`);
  const files = await generateLake({ outDir: join(root, 'all'), days, eventsPerDay, seed, malformed: false });
  const last = files.at(-1);
  if (!last) throw new Error('the generator wrote no file');
  const single = await singleNodeUrl();
  const rows: Row[] = [];
  const targets: Record<string, unknown> = {};
  for (const [target, url] of [
    ['citus', citusUrl as string],
    ['single node', single],
  ] as const) {
    const lake = join(root, `lake-${target.replace(' ', '-')}`);
    mkdirSync(lake);
    for (const file of files.slice(0, -1)) copyFileSync(file.path, join(lake, basename(file.path)));
    const server = await reset(url);
    targets[target] = { url: redactUrl(url), ...server };
    log.info(`${target}: ${redactUrl(url)} (Postgres ${server.version}${server.citus ? ', citus' : ''})`);
    for (const step of [`full: elt run, ${days - 1} days`, 'incremental: elt run +1 day']) {
      if (step.startsWith('incremental')) copyFileSync(last.path, join(lake, basename(last.path)));
      const out = mkdtempSync(join(root, 'out-'));
      const run = await runElt(['run', '--source', lake, '--output-dir', out], url, log, target);
      const summary = readSummary(out) as unknown as { steps?: Record<string, { ms?: number }> };
      const phases = ['load', 'build', 'refresh', 'test']
        .map((phase) => [phase, run.phasesMs[phase] ?? summary.steps?.[phase]?.ms] as const)
        .filter(([, ms]) => ms !== undefined)
        .map(([phase, ms]) => `${phase} ${formatMs(ms as number)}`)
        .join(', ');
      rows.push({ target, step, wallMs: run.wallMs, phases });
    }
  }
  const width = Math.max(...rows.map((row) => row.step.length));
  const lines = [
    `${'target'.padEnd(12)}  ${'step'.padEnd(width)}  ${'wall'.padStart(8)}  phases`,
    ...rows.map((row) => `${row.target.padEnd(12)}  ${row.step.padEnd(width)}  ${formatMs(row.wallMs).padStart(8)}  ${row.phases}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const outDir = resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'bench-citus.json'),
    `${JSON.stringify({ benchmark: 'clickstream-elt citus', date: new Date().toISOString(), events, days, machine: describeMachine(), loadAverageAtEnd: loadavg(), targets, rows }, null, 2)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:citus: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
