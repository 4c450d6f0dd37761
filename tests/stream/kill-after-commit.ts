/**
 * A consumer that SIGKILLs itself between the commit of its second batch and that batch's
 * acknowledgement, once the batch after it has been fetched ahead and is in memory: run by
 * tests/stream/exactly-once.test.ts as `node --import tsx kill-after-commit.ts <nats-uri> <max-events>`
 * with DATABASE_URL on a migrated database. Prints one line, then dies; exits 1 (and says
 * why) when no batch was fetched ahead of the acknowledgement.
 */
import { Pool } from 'pg';
import { consumeStream } from '../../loader/stream/consume-stream';
import { openNatsSource } from '../../loader/stream/nats-source';
import type { StreamBatch, StreamSource } from '../../loader/stream/stream-source';

const [uri, maxEvents] = process.argv.slice(2) as [string, string];
const quiet = { info: () => undefined, warn: () => undefined, error: (message: string) => process.stderr.write(`${message}\n`) };

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  const nats = await openNatsSource(uri, quiet);
  const fetched: StreamBatch[] = [];
  let acks = 0;
  const source: StreamSource = {
    uri: nats.uri,
    streamId: nats.streamId,
    seek: (seq) => nats.seek(seq),
    fetch: async (...args) => {
      const batch = await nats.fetch(...args);
      fetched.push(batch);
      return batch;
    },
    ack: async (batch) => {
      acks += 1;
      if (acks === 2) {
        // the batch after this one: fetched ahead while this one committed (waited for a moment at most)
        const deadline = Date.now() + 10_000;
        while (fetched.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        const ahead = fetched[2];
        if (!ahead || ahead.messages.length === 0) {
          process.stdout.write(`no batch fetched ahead when batch 2 (up to ${batch.last}) was acknowledged\n`);
          process.exit(1);
        }
        process.stdout.write(
          `killed after committing up to ${batch.last}, holding ${ahead.messages.length} messages fetched ahead up to ${ahead.last}\n`,
        );
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => undefined);
      }
      return nats.ack(batch);
    },
    lastSequence: (signal) => nats.lastSequence(signal),
    close: () => nats.close(),
  };
  await consumeStream(pool, source, {
    format: 'tsv-lake',
    maxEvents: Number(maxEvents),
    maxBatchBytes: 8 * 1024 * 1024,
    maxWaitMs: 1000,
    refreshEveryMs: Infinity,
    untilIdle: false,
    signal: new AbortController().signal,
    log: quiet,
    refresh: async () => undefined,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(2);
});
