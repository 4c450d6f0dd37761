import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatMs } from '../../core/log';
import { STREAM_FORMATS, type StreamFormat } from '../../loader/stream/parse-messages';
import type { Command, Io, Options } from '../command';
import { sourceOf } from '../options';

/** `elt publish`: a lake (or NDJSON) folder's lines as messages of a JetStream stream, one message id per line. */
async function publish(options: Options, io: Io): Promise<ExitCodeValue> {
  const started = performance.now();
  const target = options.to as string | undefined;
  if (!target) throw new EltError('no target: pass --to nats://HOST:PORT/STREAM', ExitCode.usage);
  const format = (options.format as string | undefined) ?? 'tsv-lake';
  if (!STREAM_FORMATS.includes(format as StreamFormat))
    throw new EltError(`--format must be ${STREAM_FORMATS.join(' or ')}, not "${format}"`, ExitCode.usage);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require: only this command and elt stream load the NATS client
  const { publishLake } = require('../../loader/stream/publish-lake') as typeof import('../../loader/stream/publish-lake');
  const report = await publishLake(sourceOf(options, io.env), target, {
    format: format as StreamFormat,
    createStream: options['create-stream'] === true,
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

export const publishCommand: Command = {
  name: 'publish',
  summary: "publish a lake folder's lines (or an NDJSON folder's objects) to a NATS JetStream stream, one message per line",
  usage: 'elt publish --source <dir|file> --to nats://HOST:PORT/STREAM [--format tsv-lake|ndjson] [--create-stream]',
  options: { source: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, 'create-stream': { type: 'boolean' } },
  optionHelp: [
    '--source <path>             a lake directory or file (*.tsv[.gz]), or NDJSON (*.ndjson, *.jsonl) with --format ndjson [env ELT_SOURCE]',
    '--to <nats-uri>             the stream: nats://HOST:PORT/STREAM',
    '--format <f>                tsv-lake (default: each data line, in the standard column order) or ndjson (each line)',
    '--create-stream             create the stream (subject <STREAM>.events, a 24 h duplicate window) when it does not exist',
    'Each message carries the id <file name>:<line no> (Nats-Msg-Id): publishing the same files again within the',
    "stream's duplicate window stores nothing twice.",
  ],
  example:
    'npm run elt -- publish --source tests/fixtures/lake-sample --to nats://127.0.0.1:4222/CLICKS --create-stream   # a nats-server -js on port 4222',
  run: publish,
};
