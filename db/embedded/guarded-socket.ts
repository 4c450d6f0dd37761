import { Socket } from 'node:net';

/**
 * Sockets for node-postgres (its `stream` option) that send the embedded server's
 * password to nobody but the server:
 *  - once connected, before node-postgres writes a byte, `checkPeer` must find that
 *    the port is our postmaster's (listening-socket.ts), else the socket is destroyed;
 *  - until the server says the login succeeded, a request for the password in clear
 *    text or as MD5 (what a process posing as Postgres would ask for) destroys the
 *    socket before node-postgres sees it: only SCRAM is answered, where the server
 *    proves it knows the password and never learns it.
 * The protocol's messages are followed without buffering them (9 bytes at most are
 * kept), however they are cut into chunks.
 */

const AUTHENTICATION = 0x52; // 'R'
const OK = 0;
/** AuthenticationOk, then SASL (SCRAM) start, continue, final */
const ALLOWED_REQUESTS = new Set([OK, 10, 11, 12]);
const NAMES: Record<number, string> = { 2: 'Kerberos', 3: 'clear text', 5: 'MD5', 6: 'SCM', 7: 'GSS', 9: 'SSPI' };

/** Follows what the server sends until the login succeeded; says why it must be refused, if it must. */
class LoginWatch {
  private done = false;
  private head = Buffer.alloc(0);
  private skip = 0;

  refusal(chunk: Buffer): string | undefined {
    let at = 0;
    while (!this.done && at < chunk.length) {
      if (this.skip > 0) {
        const skipped = Math.min(this.skip, chunk.length - at);
        this.skip -= skipped;
        at += skipped;
        continue;
      }
      // a message: its type (1 byte), its length (4, itself included), and for an authentication request its code (4)
      const wanted = this.head.length >= 5 && this.head[0] === AUTHENTICATION ? 9 : 5;
      const taken = Math.min(wanted - this.head.length, chunk.length - at);
      this.head = Buffer.concat([this.head, chunk.subarray(at, at + taken)]);
      at += taken;
      if (this.head.length < wanted) continue;
      const length = this.head.readInt32BE(1);
      if (length < 4 || (this.head[0] === AUTHENTICATION && length < 8)) return 'it sent a malformed message';
      if (wanted === 9) {
        const code = this.head.readInt32BE(5);
        if (!ALLOWED_REQUESTS.has(code)) {
          return `it asked for the password ${code in NAMES ? `in ${NAMES[code]}` : `in a way (${code})`} that is not SCRAM: the embedded Postgres never does`;
        }
        if (code === OK) this.done = true;
      } else if (this.head[0] === AUTHENTICATION) {
        continue; // the code is still to come
      }
      this.skip = 1 + length - this.head.length;
      this.head = Buffer.alloc(0);
    }
    return undefined;
  }
}

class GuardedSocket extends Socket {
  private readonly login = new LoginWatch();

  constructor(
    private readonly checkPeer: () => void,
    private readonly what: string,
  ) {
    super();
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connect') {
      try {
        this.checkPeer();
      } catch (err) {
        this.destroy(err as Error);
        return false;
      }
    } else if (event === 'data') {
      const chunk = args[0];
      const why = this.login.refusal(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      if (why !== undefined) {
        this.destroy(new Error(`${this.what} is not the embedded Postgres: ${why}; no password was sent`));
        return false;
      }
    }
    return super.emit(event, ...args);
  }
}

/** A `stream` for node-postgres: sockets guarded as above; `what` names the server in errors. */
export function guardedSocket(checkPeer: () => void, what: string): () => Socket {
  return () => new GuardedSocket(checkPeer, what);
}
