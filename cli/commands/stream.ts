import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatMs, type Logger } from '../../core/log';
import { consumeStream, type ConsumeReport } from '../../loader/stream/consume-stream';
import { parseNatsUri } from '../../loader/stream/nats-uri';
import { createStreamProgress } from '../../loader/stream/stream-progress';
import { STREAM_FORMATS, type StreamFormat } from '../../loader/stream/parse-messages';
import { claimDatabase } from '../../pipeline/claim-database';
import type { Project } from '../../pipeline/project';
import { buildStep, migrateStep, settingsStep } from '../../pipeline/steps';
import { readModels } from '../../transform/model-catalog';
import { refreshMarts } from '../../transform/refresh-marts';
import { checkSettings } from '../../transform/settings';
import { defineCommand, type CommandInput, type Io } from '../command';
import { openDatabase } from '../database';
import { migrationsDir, MODEL_SETTINGS, modelSettingsOf } from '../options';

/**
 * The stream to consume and its format: --source (or ELT_STREAM_SOURCE), else the project's one
 * nats:// source. The format: --format, else the project's for that stream, else the project's
 * first file source's when a message can hold it, else tsv-lake.
 */
function streamOf(
  settings: { streamSource?: string; streamFormat?: StreamFormat },
  project: Project,
  named: boolean,
): { uri: string; format: StreamFormat } {
  const streams = project.streams ?? [];
  const given = settings.streamSource;
  let uri: string;
  if (given) uri = parseNatsUri(given).uri;
  else if (streams.length === 1 && streams[0]) uri = streams[0].uri;
  else if (streams.length > 1)
    throw new EltError(
      `the project ${project.name} has ${streams.length} stream sources (${streams.map((s) => s.uri).join(', ')}): pass --source to pick one`,
      ExitCode.usage,
    );
  else
    throw new EltError(
      `no stream: pass --source nats://HOST:PORT/STREAM${named ? ` or add a nats:// source to the project ${project.name}` : ''}`,
      ExitCode.usage,
    );
  const fileFormat = project.sources[0]?.format;
  const format =
    settings.streamFormat ??
    streams.find((stream) => stream.uri === uri)?.format ??
    streams[0]?.format ??
    (STREAM_FORMATS.includes(fileFormat as StreamFormat) ? fileFormat : 'tsv-lake');
  if (!STREAM_FORMATS.includes(format as StreamFormat))
    throw new EltError(`--format must be ${STREAM_FORMATS.join(' or ')}, not "${format}"`, ExitCode.usage);
  return { uri, format: format as StreamFormat };
}

function formatConsumeReport(report: ConsumeReport, ms: number): string {
  return (
    `stream ${report.uri}: ${report.batches} batches, ${report.rows.toLocaleString('en-US')} events loaded, ` +
    `${report.rejects.toLocaleString('en-US')} rejected${report.alreadyCommitted ? `, ${report.alreadyCommitted.toLocaleString('en-US')} already loaded by another consumer` : ''}; ` +
    `position ${report.position}, lag ${report.lag}; marts refreshed ${report.refreshes} time(s); ${formatMs(ms)}\n`
  );
}

const STREAM_SETTINGS = [
  'streamSource',
  'streamFormat',
  'maxEvents',
  'maxBatchBytes',
  'maxWaitMs',
  'refreshEverySeconds',
  'untilIdle',
  'brokerWaitSeconds',
  'project',
  ...MODEL_SETTINGS,
] as const;

/**
 * `elt stream`: migrate, build what changed, then consume the stream in micro-batches
 * (each one transaction, exactly once) refreshing the marts on a cadence, until an
 * interrupt (the batch in hand is committed, the marts refreshed: exit 0) or, with
 * --until-idle, until the stream holds nothing more.
 */
async function stream({ settings: given, project, options }: CommandInput<(typeof STREAM_SETTINGS)[number]>, io: Io): Promise<ExitCodeValue> {
  const started = performance.now();
  const { uri, format } = streamOf(given, project, options.project !== undefined);
  const { maxEvents, maxBatchBytes, maxWaitMs, refreshEverySeconds, brokerWaitSeconds } = given;
  const settings = modelSettingsOf(given);
  readModels(project.modelsDir); // a missing models folder is a usage error before anything is touched

  // no cancel of queries on an interrupt: the batch in hand is committed, then the marts refreshed
  const db = await openDatabase(io.env, io.log, project.database, io.signal, io.home ? { home: io.home } : {});
  try {
    await checkSettings(db.pool, settings);
    await migrateStep(db.pool, migrationsDir(), io.log);
    await claimDatabase(db.pool, project);
    await settingsStep(db.pool, settings, io.log);
    await buildStep(db.pool, { modelsDir: project.modelsDir, full: false }, io.log);
    // the source logs (reconnects) through `log`, which becomes the progress line's once it is drawn
    let log: Logger = io.log;
    // the NATS client is loaded only by the commands that talk to a broker (every other command starts without it)
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require, as for the S3 SDK
    const { openNatsSource } = require('../../loader/stream/nats-source') as typeof import('../../loader/stream/nats-source');
    const source = await openNatsSource(
      uri,
      { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
      { brokerWaitMs: brokerWaitSeconds * 1000 },
    );
    const progress = createStreamProgress({ log: io.log, uri, lastSequence: () => source.lastSequence(io.signal) });
    log = progress.log;
    const onAbort = () => log.warn(`${uri}: stopping: committing the batch in hand and refreshing the marts`);
    io.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const report = await consumeStream(db.pool, source, {
        format,
        maxEvents,
        maxBatchBytes,
        maxWaitMs,
        refreshEveryMs: refreshEverySeconds * 1000,
        untilIdle: given.untilIdle,
        signal: io.signal,
        log,
        refresh: async () => {
          await refreshMarts(db.pool, { dir: project.modelsDir, log });
        },
        onProgress: progress.update,
        progressEveryMs: progress.tty ? Infinity : undefined,
      });
      progress.stop();
      io.stdout.write(formatConsumeReport(report, performance.now() - started));
      return ExitCode.ok;
    } finally {
      progress.stop();
      io.signal.removeEventListener('abort', onAbort);
      await source.close();
    }
  } finally {
    await db.close();
  }
}

export const streamCommand = defineCommand({
  name: 'stream',
  summary: 'consume a NATS JetStream stream in micro-batches, exactly once, refreshing the marts every few seconds',
  settings: STREAM_SETTINGS,
  example:
    'npm run elt -- stream --source nats://127.0.0.1:4222/CLICKS --until-idle   # a nats-server -js on port 4222 with the stream CLICKS (see elt publish)',
  endsOnInterrupt: true,
  action: stream,
});
