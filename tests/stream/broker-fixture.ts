import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServer } from '../../scripts/nats-server';

/** A real nats-server for one test file (started before its tests, stopped after), and temp folders removed with it. */
export interface BrokerFixture {
  readonly nats: NatsServer;
  tempDir(): string;
}

export function withBroker(tempPrefix: string): BrokerFixture {
  let server: NatsServer | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get nats(): NatsServer {
      if (!server) throw new Error('the nats-server is not started yet (use it inside a test)');
      return server;
    },
    tempDir: () => {
      const dir = mkdtempSync(join(tmpdir(), tempPrefix));
      dirs.push(dir);
      return dir;
    },
  };
}
