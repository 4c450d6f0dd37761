import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatMs } from '../../core/log';
import { defineCommand, type CommandInput, type Io } from '../command';
import { sourceOf } from '../options';

const PUBLISH_SETTINGS = ['source', 'publishTo', 'publishFormat', 'createStream'] as const;

/** `elt publish`: a lake (or NDJSON) folder's lines as messages of a JetStream stream, one message id per line. */
async function publish({ settings, options }: CommandInput<(typeof PUBLISH_SETTINGS)[number]>, io: Io): Promise<ExitCodeValue> {
  const started = performance.now();
  const target = settings.publishTo;
  if (!target) throw new EltError('no target: pass --to nats://HOST:PORT/STREAM', ExitCode.usage);
  const format = settings.publishFormat;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require: only this command and elt stream load the NATS client
  const { publishLake } = require('../../loader/stream/publish-lake') as typeof import('../../loader/stream/publish-lake');
  const report = await publishLake(sourceOf(options, io.env), target, {
    format,
    createStream: settings.createStream,
    log: io.log,
    signal: io.signal,
  });
  io.stdout.write(
    `published ${report.published.toLocaleString('en-US')} messages from ${report.files} file(s) to ${report.uri} (subject ${report.subject})` +
      `${report.duplicates ? `; ${report.duplicates.toLocaleString('en-US')} already there (same message id), dropped by the server` : ''}; ` +
      `last sequence ${report.lastSeq}; ${formatMs(performance.now() - started)}\n`,
  );
  return ExitCode.ok;
}

export const publishCommand = defineCommand({
  name: 'publish',
  summary: "publish a lake folder's lines (or an NDJSON folder's objects) to a NATS JetStream stream, one message per line",
  settings: PUBLISH_SETTINGS,
  notes: [
    'Each message carries the id <file name>:<line no> (Nats-Msg-Id): publishing the same files again within the',
    "stream's duplicate window stores nothing twice.",
  ],
  example:
    'npm run elt -- publish --source tests/fixtures/lake-sample --to nats://127.0.0.1:4222/CLICKS --create-stream   # a nats-server -js on port 4222',
  action: publish,
});
