import { createServer, type Server, type Socket } from 'node:net';

/** How the impostor asks for the password: in clear text (3) or as an MD5 hash (5). */
export type PasswordRequest = 'cleartext' | 'md5';

export interface Impostor {
  server: Server;
  /** how many connections it accepted */
  connections(): number;
  /** what clients sent after their startup message (a password message, if any, would be here) */
  afterStartup(): Buffer;
  close(): Promise<void>;
}

const REQUEST_CODE: Record<PasswordRequest, number> = { cleartext: 3, md5: 5 };

/**
 * A plain TCP server posing as Postgres on 127.0.0.1:`port`, as a hostile local user
 * would start one on a port known in advance: it answers every startup message with
 * a request for the password (which node-postgres would send), in chunks of
 * `chunkBytes` to probe a client that reads messages whole, and keeps what it gets.
 */
export function startImpostor(port: number, how: PasswordRequest = 'cleartext', chunkBytes = 64): Promise<Impostor> {
  let accepted = 0;
  const after: Buffer[] = [];
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    accepted += 1;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    let head = Buffer.alloc(0);
    let startupDone = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      if (startupDone) {
        after.push(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < 4 || head.length < head.readInt32BE(0)) return;
      startupDone = true;
      const rest = head.subarray(head.readInt32BE(0));
      if (rest.length) after.push(rest);
      const request = Buffer.alloc(how === 'md5' ? 13 : 9);
      request.write('R', 0);
      request.writeInt32BE(request.length - 1, 1);
      request.writeInt32BE(REQUEST_CODE[how], 5);
      for (let at = 0; at < request.length; at += chunkBytes) socket.write(request.subarray(at, at + chunkBytes));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        server,
        connections: () => accepted,
        afterStartup: () => Buffer.concat(after),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of open) socket.destroy();
          }),
      }),
    );
  });
}
