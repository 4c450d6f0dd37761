/**
 * The benchmark's stream steps, on a loopback nats-server started for them (as the
 * tests start one): the sustained events/s of `elt stream --until-idle` over the
 * lake's events, and the latency from publish to "visible in a mart" at a steady
 * publish rate, with the refresh cadence `elt stream` runs by default.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { connect, nanos } from 'nats';
import { Client } from 'pg';
import { formatMs, type Logger } from '../../core/log';
import { publishLake } from '../../loader/stream/publish-lake';
import { NATS_SERVER, startNatsServer } from '../nats-server';
import { childEnv, ELT_BIN, messageOf, PROJECT_ROOT, runElt } from './run';
import type { BenchContext, Figures } from './types';

/** Why the stream steps cannot run here, or undefined. */
export function streamSkipReason(): string | undefined {
  return spawnSync(NATS_SERVER, ['--version']).status === 0 ? undefined : `${NATS_SERVER} not installed (Debian: apt-get install nats-server)`;
}

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** `elt stream --until-idle` over the lake published to a stream: its sustained events/s, from the ledger's first batch to its last commit. */
export async function streamThroughput(ctx: BenchContext): Promise<Figures> {
  const nats = await startNatsServer();
  try {
    const uri = nats.url('BENCH');
    const published = await publishLake(ctx.lake.dir, uri, { format: 'tsv-lake', createStream: true, log: quiet });
    // the runs before dropped the next day into the lake folder
    const withNextDay = existsSync(join(ctx.lake.dir, basename(ctx.lake.nextDay.path)));
    const expected = {
      rows: ctx.lake.rows + (withNextDay ? ctx.lake.nextDay.rows : 0),
      bytes: ctx.lake.bytes + (withNextDay ? ctx.lake.nextDay.bytes : 0),
    };
    if (published.published !== expected.rows) throw new Error(`published ${published.published} messages, the lake has ${expected.rows} data lines`);
    const db = await ctx.createDatabase('stream');
    const cpu = ctx.serverCpu();
    const run = await runElt(['stream', '--source', uri, '--until-idle'], db.url, ctx.log, 'stream');
    const serverCpuMs = cpu();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client
      .query<{ rows: string; batches: number; span_ms: number }>(
        `select coalesce(sum(row_count), 0) as rows, count(*)::int as batches,
                extract(epoch from max(finished_at) - min(started_at)) * 1000 as span_ms
           from raw.loads where stream_id is not null and status = 'loaded'`,
      )
      .finally(() => client.end());
    await ctx.dropDatabase(db.name);
    const ledger = rows[0];
    if (!ledger || Number(ledger.rows) !== expected.rows)
      throw new Error(`elt stream loaded ${ledger?.rows ?? 0} events, the lake has ${expected.rows}`);
    const spanMs = Math.max(1, Number(ledger.span_ms));
    return {
      wallMs: spanMs,
      rows: expected.rows,
      bytes: expected.bytes,
      peakMb: run.peakMb,
      clientCpuMs: run.cpuMs,
      serverCpuMs,
      phasesMs: run.phasesMs,
      note: `wall: first batch to last commit, ${ledger.batches} batches; the process took ${formatMs(run.wallMs)} with migrate, build and the final refresh`,
    };
  } finally {
    await nats.stop();
  }
}

/** The data lines of the lake's files, in order (header and blank lines left out), at most `max`. */
function lakeLines(ctx: BenchContext, max: number): Buffer[] {
  const lines: Buffer[] = [];
  for (const file of ctx.lake.files) {
    for (const line of readFileSync(file.path, 'utf8').split('\n').slice(1)) {
      if (line.trim() === '') continue;
      lines.push(Buffer.from(line.replace(/\r$/, ''), 'utf8'));
      if (lines.length >= max) return lines;
    }
  }
  return lines;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

/** The publish rate of the latency step: a fraction of what elt stream sustains, so that it holds it (between 100 and 2000 events/s). */
export function steadyRate(sustainedRowsPerSec: number | undefined): number {
  return Math.round(Math.min(2000, Math.max(100, (sustainedRowsPerSec ?? 2000) * 0.25)));
}

/**
 * A steady publish rate for `ctx.stream.seconds` while `elt stream` runs with the refresh
 * cadence `ctx.stream.refreshEverySeconds`: an event is visible in the marts when a refresh
 * that covers its sequence ends (elt's own `marts refreshed up to sequence N` line, read as it
 * comes); its latency is that moment minus the moment it was published.
 */
export async function streamLatency(ctx: BenchContext, sustainedRowsPerSec: number | undefined): Promise<Figures> {
  const { seconds, refreshEverySeconds } = ctx.stream;
  const rate = steadyRate(sustainedRowsPerSec);
  const lines = lakeLines(ctx, rate * seconds);
  const nats = await startNatsServer();
  const db = await ctx.createDatabase('stream_latency');
  const refreshes: { at: number; seq: number; ms: number }[] = [];
  const publishedAt = new Map<number, number>();
  try {
    const uri = nats.url('LATENCY');
    const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
    await (await nc.jetstreamManager()).streams.add({ name: 'LATENCY', subjects: ['LATENCY.events'], duplicate_window: nanos(60_000) });
    const js = nc.jetstream();

    const child = spawn(
      process.execPath,
      [ELT_BIN, '--log-format', 'json', 'stream', '--source', uri, '--refresh-every-seconds', String(refreshEverySeconds)],
      {
        cwd: PROJECT_ROOT,
        env: childEnv(db.url),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let consuming: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (consuming = resolve));
    let partial = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const at = performance.now();
      const text = partial + chunk.toString();
      const all = text.split('\n');
      partial = all.pop() ?? '';
      for (const line of all) {
        const message = messageOf(line);
        if (/consuming from sequence/.test(message)) consuming();
        const refreshed = /marts refreshed up to sequence (\d+) in ([\d.]+) (ms|s)\b/.exec(message);
        if (refreshed) refreshes.push({ at, seq: Number(refreshed[1]), ms: Number(refreshed[2]) * (refreshed[3] === 's' ? 1000 : 1) });
        if (/error/.test(message)) ctx.log.warn(`stream: ${message}`);
      }
    });
    await Promise.race([started, exited.then((code) => Promise.reject(new Error(`elt stream exited with ${code} before consuming`)))]);

    // a steady rate: every 50 ms the messages due by then
    const begin = performance.now();
    const acks: Promise<void>[] = [];
    let sent = 0;
    while (sent < lines.length) {
      const due = Math.min(lines.length, Math.floor(((performance.now() - begin) / 1000) * rate));
      for (; sent < due; sent += 1) {
        const at = performance.now();
        acks.push(js.publish('LATENCY.events', lines[sent] as Buffer, { msgID: `bench:${sent}` }).then((ack) => void publishedAt.set(ack.seq, at)));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all(acks);
    const publishMs = performance.now() - begin;
    await nc.drain();
    const last = lines.length;
    const deadline = performance.now() + 2 * refreshEverySeconds * 1000 + 30_000;
    while (!refreshes.some((refresh) => refresh.seq >= last) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`elt stream exited with ${code}`);

    const latencies: number[] = [];
    for (const [seq, at] of publishedAt) {
      const visible = refreshes.find((refresh) => refresh.seq >= seq && refresh.at >= at);
      if (!visible) throw new Error(`event ${seq} never became visible in the marts`);
      latencies.push(visible.at - at);
    }
    latencies.sort((a, b) => a - b);
    const refreshMs = [...refreshes.map((refresh) => refresh.ms)].sort((a, b) => a - b);
    const medianRefreshMs = percentile(refreshMs, 50);
    return {
      wallMs: publishMs,
      rows: latencies.length,
      latency: {
        publishRate: rate,
        medianMs: Math.round(percentile(latencies, 50)),
        p99Ms: Math.round(percentile(latencies, 99)),
        refreshEveryMs: refreshEverySeconds * 1000,
        medianRefreshMs: Math.round(medianRefreshMs),
        refreshes: refreshes.length,
      },
    };
  } finally {
    await ctx.dropDatabase(db.name);
    await nats.stop();
  }
}
