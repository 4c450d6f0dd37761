import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../db/free-port';

/** Debian's nats-server (installed by .ci/run): the tests and the benchmark start it. */
export const NATS_SERVER = process.env.ELT_TEST_NATS_SERVER ?? 'nats-server';

/** A real nats-server with JetStream on a free loopback port, its store in a temporary folder. */
export interface NatsServer {
  port: number;
  url(stream: string): string;
  /** stops it (SIGTERM) and starts it again on the same port and store */
  restart(): Promise<void>;
  /** kills it (SIGKILL, as a crash: no clean shutdown of the store); `start` brings it back */
  kill(): Promise<void>;
  /** starts it again (after `kill`) on the same port and store */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}: ${log()}`);
    if (await listening(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nats-server did not listen on ${port} within 10 s: ${log()}`);
}

export async function startNatsServer(): Promise<NatsServer> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'elt-nats-'));
  let child: ChildProcess;
  let output = '';
  const start = async () => {
    output = '';
    child = spawn(NATS_SERVER, ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitListening(port, child, () => output);
  };
  const stopChild = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    url: (stream) => `nats://127.0.0.1:${port}/${stream}`,
    restart: async () => {
      await stopChild();
      await start();
    },
    kill: () => stopChild('SIGKILL'),
    start,
    stop: async () => {
      await stopChild();
      rmSync(store, { recursive: true, force: true });
    },
  };
}
