import { EltError, ExitCode } from '../../core/errors';

/** Where a NATS JetStream stream is: `nats://HOST:PORT/STREAM`. */
export interface NatsStreamAddress {
  /** host:port, as the client takes it */
  server: string;
  stream: string;
  /** the normalized URI: nats://host:port/STREAM */
  uri: string;
}

const DEFAULT_PORT = 4222;
/** JetStream stream names: no spaces, dots, `*`, `>`, path separators or control characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what a name may not hold
const STREAM_NAME = /^[^\s.*>/\\\x00-\x1f]{1,255}$/;

export function isNatsUri(value: string): boolean {
  return /^nats:\/\//i.test(value);
}

/** Reads `nats://HOST[:PORT]/STREAM`; anything else is a usage error naming what is wrong. */
export function parseNatsUri(value: string): NatsStreamAddress {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EltError(`"${value}" is not a stream URI: expected nats://HOST:PORT/STREAM`, ExitCode.usage);
  }
  if (url.protocol !== 'nats:') throw new EltError(`"${value}" is not a NATS URI: expected nats://HOST:PORT/STREAM`, ExitCode.usage);
  if (url.username || url.password) throw new EltError(`${url.protocol}//${url.host}: credentials in the URI are not supported`, ExitCode.usage);
  const stream = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !STREAM_NAME.test(stream) || url.search || url.hash) {
    throw new EltError(
      `"${value}" names no stream: expected nats://HOST:PORT/STREAM (a stream name has no spaces, dots, slashes, * or >)`,
      ExitCode.usage,
    );
  }
  const port = url.port ? Number(url.port) : DEFAULT_PORT;
  const server = `${url.hostname}:${port}`;
  return { server, stream, uri: `nats://${server}/${stream}` };
}
