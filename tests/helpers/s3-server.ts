import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The part of s3rver 3.7 (CommonJS, no typings) the in-process server uses. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: { address: string; port: number; directory: string; silent: boolean }) => S3rverInstance;

/** The fixed credentials s3rver accepts. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A local S3 server (s3rver) on 127.0.0.1, with its data in a temp directory of its own. */
export interface TestS3Server {
  /** e.g. http://127.0.0.1:40123 */
  endpoint: string;
  port: number;
  /** an SDK client for the server, signed with the s3rver credentials */
  client: S3Client;
  createBucket(bucket: string): Promise<void>;
  putObject(bucket: string, key: string, body: string | Buffer): Promise<void>;
  /**
   * The environment a child `elt` process needs to reach this server (endpoint,
   * s3rver credentials, region), with every other AWS_* variable of `base` removed.
   * `endpoint` overrides the endpoint (e.g. a proxy in front of the server).
   */
  env(base?: NodeJS.ProcessEnv, endpoint?: string): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  /**
   * Run s3rver in a child process of its own (started with --openssl-legacy-provider)
   * instead of in the test process. Needed for listings of more than one page:
   * s3rver 3.7 encrypts its ListObjectsV2 continuation tokens with DES, which the
   * OpenSSL 3 of Node >= 17 only offers with that flag (a jest worker cannot take it),
   * so in process every second page of a listing fails with a 500 InternalError.
   * The in-process server (the default) lets a test reach s3rver's own modules
   * (e.g. to add key pairs to its account); the child exits when its stdin closes,
   * so it never outlives the test process.
   */
  childProcess?: boolean;
}

const SERVER_SCRIPT = `
const { modulePath, directory } = JSON.parse(process.env.ELT_TEST_S3RVER);
const S3rver = require(modulePath);
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (err) => { process.stderr.write(String(err && err.stack || err) + '\\n'); process.exit(1); },
);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
`;

type ServerProcess = ChildProcessByStdio<Writable, Readable, Readable>;

function waitForPort(child: ServerProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: Error) =>
      settle(() => {
        child.kill('SIGKILL');
        reject(error);
      });
    const timer = setTimeout(() => fail(new Error(`s3rver did not start within ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline !== -1) settle(() => resolve((JSON.parse(out.slice(0, newline)) as { port: number }).port));
    });
    child.once('exit', (code) => fail(new Error(`s3rver exited with code ${code}: ${err}`)));
  });
}

/** The running server itself: where it listens, and how to stop it. */
interface Running {
  port: number;
  close(): Promise<void>;
}

async function runInProcess(directory: string): Promise<Running> {
  const S3rver = createRequire(__filename)('s3rver') as S3rverConstructor;
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const address = await server.run();
  return { port: address.port, close: () => server.close() };
}

async function runInChild(directory: string): Promise<Running> {
  const child: ServerProcess = spawn(process.execPath, ['--openssl-legacy-provider', '-e', SERVER_SCRIPT], {
    env: { ...process.env, ELT_TEST_S3RVER: JSON.stringify({ modulePath: require.resolve('s3rver'), directory }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const port = await waitForPort(child, 10_000);
  return {
    port,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts s3rver on a free port of 127.0.0.1 (port 0: the OS picks), in this process unless `childProcess`. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<TestS3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'elt-s3rver-'));
  const running = options.childProcess ? await runInChild(directory) : await runInProcess(directory);
  const endpoint = `http://127.0.0.1:${running.port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { ...S3RVER_CREDENTIALS },
  });
  let stopped = false;
  return {
    endpoint,
    port: running.port,
    client,
    createBucket: async (bucket) => {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    putObject: async (bucket, key, body) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.length }));
    },
    env: (base = process.env, target = endpoint) => {
      const env: NodeJS.ProcessEnv = {};
      // nothing of the developer's AWS setup may leak into the tests
      for (const [name, value] of Object.entries(base)) {
        if (!name.startsWith('AWS_') && !name.startsWith('ELT_S3_')) env[name] = value;
      }
      return {
        ...env,
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_S3: target,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/nonexistent/aws-config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      };
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await running.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
