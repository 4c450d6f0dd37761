import { connect, createServer, type Socket } from 'node:net';

/** Which HTTP requests a rule applies to: a test of the request line, e.g. /^GET \/lake\/day\.tsv/. */
type RequestMatch = RegExp;

export interface CutRule {
  /** body bytes of the response let through before the connection is cut */
  afterBodyBytes: number;
  /** the request line (`GET /bucket/key?x-id=GetObject HTTP/1.1`) the response must answer; default: any */
  match?: RequestMatch;
}

export interface StallRule {
  /** how long the start of a matching response is held back */
  ms: number;
  /** the request lines whose responses stall; default: any */
  match?: RequestMatch;
}

export interface TrickleRule {
  /** bytes forwarded per tick */
  bytesPerTick: number;
  intervalMs: number;
  /** the request lines whose responses trickle; default: any */
  match?: RequestMatch;
}

/**
 * A TCP proxy on 127.0.0.1 in front of an HTTP/1.1 server (s3rver), able to
 * misbehave on purpose: cut one response after some bytes of its body (then
 * behave again), or trickle responses so a client can be killed mid-body.
 */
export interface TcpProxy {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** the next response matching the rule is cut after `afterBodyBytes` bytes of body, once */
  cutOnce(rule: CutRule): void;
  /** responses matching the rule are forwarded slowly from now on; undefined stops trickling */
  trickle(rule: TrickleRule | undefined): void;
  /** matching responses start only after a pause (a slow first byte); undefined stops stalling */
  stall(rule: StallRule | undefined): void;
  /** how many responses were cut so far */
  readonly cuts: number;
  /** the request lines seen so far, in order */
  readonly requests: readonly string[];
  /** body bytes forwarded to clients for responses matching `match` */
  bodyBytesFor(match: RequestMatch): number;
  close(): Promise<void>;
}

const REQUEST_LINE = /(?:GET|PUT|POST|HEAD|DELETE) \S+ HTTP\/1\.[01]\r\n/g;
const HEADER_END = Buffer.from('\r\n\r\n');

/** The state of one proxied connection: requests are never pipelined by the SDK, so the last request line names the response that follows. */
interface Connection {
  client: Socket;
  upstream: Socket;
  requestLine: string;
  /** bytes of the current response's header seen so far (until the blank line) */
  header: Buffer;
  inBody: boolean;
  bodyBytes: number;
  cut?: CutRule;
  /** the current response was already held back by a stall rule */
  stalled: boolean;
  timers: Set<NodeJS.Timeout>;
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const connections = new Set<Connection>();
  const requests: string[] = [];
  const bodyBytes: { line: string; bytes: number }[] = [];
  let pendingCut: CutRule | undefined;
  let trickleRule: TrickleRule | undefined;
  let stallRule: StallRule | undefined;
  let cuts = 0;

  const matches = (rule: { match?: RequestMatch }, line: string) => rule.match === undefined || rule.match.test(line);

  const end = (conn: Connection) => {
    for (const timer of conn.timers) clearTimeout(timer);
    conn.timers.clear();
    conn.client.destroy();
    conn.upstream.destroy();
    connections.delete(conn);
  };

  /** Forwards one chunk of a response; returns false when the connection was cut. */
  const forward = (conn: Connection, chunk: Buffer, write: (piece: Buffer) => void): boolean => {
    let body = chunk;
    if (!conn.inBody) {
      conn.header = Buffer.concat([conn.header, chunk]);
      const endOfHeader = conn.header.indexOf(HEADER_END);
      if (endOfHeader === -1) {
        write(chunk);
        return true;
      }
      const headerPart = chunk.length - (conn.header.length - (endOfHeader + HEADER_END.length));
      write(chunk.subarray(0, headerPart));
      body = chunk.subarray(headerPart);
      conn.inBody = true;
    }
    if (conn.cut) {
      const room = conn.cut.afterBodyBytes - conn.bodyBytes;
      if (body.length >= room) {
        write(body.subarray(0, Math.max(room, 0)));
        conn.bodyBytes += Math.max(room, 0);
        count(conn, Math.max(room, 0));
        cuts += 1;
        conn.cut = undefined;
        // a clean FIN in the middle of the body: the client sees the response end short
        conn.client.end();
        conn.upstream.destroy();
        return false;
      }
    }
    write(body);
    conn.bodyBytes += body.length;
    count(conn, body.length);
    return true;
  };

  const count = (conn: Connection, bytes: number) => {
    const last = bodyBytes.at(-1);
    if (last && last.line === conn.requestLine) last.bytes += bytes;
    else bodyBytes.push({ line: conn.requestLine, bytes });
  };

  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const conn: Connection = {
      client,
      upstream,
      requestLine: '',
      header: Buffer.alloc(0),
      inBody: false,
      bodyBytes: 0,
      stalled: false,
      timers: new Set(),
    };
    connections.add(conn);
    client.on('error', () => end(conn));
    upstream.on('error', () => end(conn));
    client.on('close', () => end(conn));
    upstream.on('close', () => {
      if (!client.destroyed) client.end();
    });
    client.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
        // a new request: the next bytes from upstream start its response
        conn.requestLine = match[0].trimEnd();
        requests.push(conn.requestLine);
        conn.header = Buffer.alloc(0);
        conn.inBody = false;
        conn.bodyBytes = 0;
        conn.stalled = false;
        if (pendingCut && matches(pendingCut, conn.requestLine)) {
          conn.cut = pendingCut;
          pendingCut = undefined;
        }
      }
      upstream.write(chunk);
    });
    const deliver = (chunk: Buffer) => {
      const rule = trickleRule;
      if (!rule || !matches(rule, conn.requestLine)) {
        forward(conn, chunk, (piece) => client.write(piece));
        return;
      }
      // slow lane: hold the upstream while the chunk drips out
      upstream.pause();
      let offset = 0;
      const tick = () => {
        if (client.destroyed) return;
        const piece = chunk.subarray(offset, offset + rule.bytesPerTick);
        offset += piece.length;
        const alive = forward(conn, piece, (part) => client.write(part));
        if (!alive) return;
        if (offset < chunk.length) {
          const timer = setTimeout(() => {
            conn.timers.delete(timer);
            tick();
          }, rule.intervalMs);
          conn.timers.add(timer);
        } else {
          upstream.resume();
        }
      };
      tick();
    };
    upstream.on('data', (chunk: Buffer) => {
      const stall = stallRule;
      if (stall && !conn.stalled && !conn.inBody && conn.header.length === 0 && matches(stall, conn.requestLine)) {
        conn.stalled = true;
        upstream.pause();
        const timer = setTimeout(() => {
          conn.timers.delete(timer);
          upstream.resume();
          deliver(chunk);
        }, stall.ms);
        conn.timers.add(timer);
        return;
      }
      deliver(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    cutOnce: (rule) => {
      pendingCut = rule;
    },
    trickle: (rule) => {
      trickleRule = rule;
    },
    stall: (rule) => {
      stallRule = rule;
    },
    get cuts() {
      return cuts;
    },
    get requests() {
      return requests;
    },
    bodyBytesFor: (match) => bodyBytes.filter((entry) => match.test(entry.line)).reduce((sum, entry) => sum + entry.bytes, 0),
    close: async () => {
      for (const conn of [...connections]) end(conn);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
