import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatMs } from '../../core/log';
import { consumeStream, type ConsumeReport } from '../../loader/stream/consume-stream';
import { openNatsSource } from '../../loader/stream/nats-source';
import { parseNatsUri } from '../../loader/stream/nats-uri';
import { STREAM_FORMATS, type StreamFormat } from '../../loader/stream/parse-messages';
import { claimDatabase } from '../../pipeline/claim-database';
import { buildStep, migrateStep, settingsStep } from '../../pipeline/steps';
import { readModels } from '../../transform/model-catalog';
import { refreshMarts } from '../../transform/refresh-marts';
import { checkSettings } from '../../transform/settings';
import type { Command, Io, Options } from '../command';
import { openDatabase } from '../database';
import { MODEL_FLAGS, MODEL_HELP, migrationsDir, numberOption, PROJECT_FLAG, PROJECT_HELP, settingsOf } from '../options';
import { projectOf } from '../project';

/** The --format of a stream: the flag, else the project's first source's format when it is one a message can hold. */
function streamFormatOf(options: Options, projectFormat: string | undefined): StreamFormat {
  const format = (options.format as string | undefined) ?? (STREAM_FORMATS.includes(projectFormat as StreamFormat) ? projectFormat : 'tsv-lake');
  if (!STREAM_FORMATS.includes(format as StreamFormat))
    throw new EltError(`--format must be ${STREAM_FORMATS.join(' or ')}, not "${format}"`, ExitCode.usage);
  return format as StreamFormat;
}

function formatConsumeReport(report: ConsumeReport, ms: number): string {
  return (
    `stream ${report.uri}: ${report.batches} batches, ${report.rows.toLocaleString('en-US')} events loaded, ` +
    `${report.rejects.toLocaleString('en-US')} rejected${report.alreadyCommitted ? `, ${report.alreadyCommitted.toLocaleString('en-US')} already loaded by another consumer` : ''}; ` +
    `position ${report.position}, lag ${report.lag}; marts refreshed ${report.refreshes} time(s); ${formatMs(ms)}\n`
  );
}

/**
 * `elt stream`: migrate, build what changed, then consume the stream in micro-batches
 * (each one transaction, exactly once) refreshing the marts on a cadence, until an
 * interrupt (the batch in hand is committed, the marts refreshed: exit 0) or, with
 * --until-idle, until the stream holds nothing more.
 */
async function stream(options: Options, io: Io): Promise<ExitCodeValue> {
  const started = performance.now();
  const uri = (options.source as string | undefined) ?? io.env.ELT_STREAM_SOURCE;
  if (!uri) throw new EltError('no stream: pass --source nats://HOST:PORT/STREAM', ExitCode.usage);
  parseNatsUri(uri);
  const project = projectOf({ ...options, source: undefined }, io.env);
  const format = streamFormatOf(options, project.sources[0]?.format);
  const positive = (n: number) => Number.isInteger(n) && n >= 1;
  const maxEvents = numberOption(options, io.env, 'max-events', 'ELT_STREAM_MAX_EVENTS', 5000, (n) => positive(n) && n <= 100_000);
  const maxWaitMs = numberOption(options, io.env, 'max-wait-ms', 'ELT_STREAM_MAX_WAIT_MS', 1000, (n) => positive(n) && n <= 600_000);
  const refreshEverySeconds = numberOption(
    options,
    io.env,
    'refresh-every-seconds',
    'ELT_STREAM_REFRESH_EVERY_SECONDS',
    10,
    (n) => n >= 0 && n <= 86_400,
  );
  const settings = settingsOf(options, io.env, project);
  readModels(project.modelsDir); // a missing models folder is a usage error before anything is touched

  // no cancel of queries on an interrupt: the batch in hand is committed, then the marts refreshed
  const db = await openDatabase(io.env, io.log, project.database);
  try {
    await checkSettings(db.pool, settings);
    await migrateStep(db.pool, migrationsDir(), io.log);
    await claimDatabase(db.pool, project);
    await settingsStep(db.pool, settings, io.log);
    await buildStep(db.pool, { modelsDir: project.modelsDir, full: false }, io.log);
    const source = await openNatsSource(uri, io.log);
    const onAbort = () => io.log.warn(`${uri}: stopping: committing the batch in hand and refreshing the marts`);
    io.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const report = await consumeStream(db.pool, source, {
        format,
        maxEvents,
        maxWaitMs,
        refreshEveryMs: refreshEverySeconds * 1000,
        untilIdle: options['until-idle'] === true,
        signal: io.signal,
        log: io.log,
        refresh: async () => {
          await refreshMarts(db.pool, { dir: project.modelsDir, log: io.log });
        },
      });
      io.stdout.write(formatConsumeReport(report, performance.now() - started));
      return ExitCode.ok;
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      await source.close();
    }
  } finally {
    await db.close();
  }
}

export const streamCommand: Command = {
  name: 'stream',
  summary: 'consume a NATS JetStream stream in micro-batches, exactly once, refreshing the marts every few seconds',
  usage: 'elt stream --source nats://HOST:PORT/STREAM [--format tsv-lake|ndjson] [--until-idle] [options]',
  options: {
    source: { type: 'string' },
    format: { type: 'string' },
    'max-events': { type: 'string' },
    'max-wait-ms': { type: 'string' },
    'refresh-every-seconds': { type: 'string' },
    'until-idle': { type: 'boolean' },
    ...MODEL_FLAGS,
    ...PROJECT_FLAG,
  },
  optionHelp: [
    '--source <nats-uri>         the stream: nats://HOST:PORT/STREAM [env ELT_STREAM_SOURCE]',
    "--format <f>                a message is one lake data line (tsv-lake, the header's standard column order) or one JSON object (ndjson) [default: the project's, else tsv-lake]",
    '--max-events <n>            most messages in one batch (one transaction) [env ELT_STREAM_MAX_EVENTS, default 5000]',
    '--max-wait-ms <ms>          how long a fetch waits for a full batch (at least 1000) [env ELT_STREAM_MAX_WAIT_MS, default 1000]',
    '--refresh-every-seconds <s> refresh the marts this often while new batches commit [env ELT_STREAM_REFRESH_EVERY_SECONDS, default 10]',
    '--until-idle                stop (exit 0) once the stream holds nothing more, after one refresh; else run until Ctrl-C / SIGTERM',
    ...PROJECT_HELP,
    ...MODEL_HELP,
  ],
  example:
    'npm run elt -- stream --source nats://127.0.0.1:4222/CLICKS --until-idle   # a nats-server -js on port 4222 with the stream CLICKS (see elt publish)',
  endsOnInterrupt: true,
  run: stream,
};
