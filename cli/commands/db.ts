import { endPool } from '../../db/connect';
import { migrate } from '../../db/migrate';
import { resolveSetting } from '../../core/settings/resolve-settings';
import { defineCommand, type Io } from '../command';
import { openDatabase } from '../database';
import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { migrationsDir } from '../options';

/** `elt db`: keep the embedded server up until interrupted. */
async function serveDatabase(io: Io): Promise<ExitCodeValue> {
  if (resolveSetting('databaseUrl', { env: io.env }) !== undefined) {
    throw new EltError('elt db serves the embedded Postgres; DATABASE_URL is set, so connect to that server instead', ExitCode.usage);
  }
  const db = await openDatabase(io.env, io.log, undefined, io.signal, io.home ? { home: io.home } : {});
  await migrate(db.pool, { dir: migrationsDir(), log: io.log });
  io.stdout.write(`${db.url}\n`);
  io.log.info(`embedded Postgres is up: psql "${db.url}"  (Ctrl-C to stop; the password is in .elt/password)`);
  // a pending promise does not keep Node running; once the pool's idle clients close,
  // only this timer does, until Ctrl-C
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
  clearInterval(keepAlive);
  await endPool(db.pool);
  const others = (await db.server?.stop()) ?? 0;
  // the server is shared: it stops when the last elt process using it ends
  io.log.info(
    others > 0 ? `the embedded Postgres stays up for ${others} other elt process(es); it stops when the last one ends` : 'embedded Postgres stopped',
  );
  return ExitCode.ok;
}

export const dbCommand = defineCommand({
  name: 'db',
  summary: 'start the embedded Postgres in ./.elt and keep it up until Ctrl-C, printing its psql URL (with its password)',
  settings: ['embeddedPort'],
  example: 'npm run elt -- db    # then, in another terminal: psql "<printed url>"',
  endsOnInterrupt: true,
  action: (_input, io) => serveDatabase(io),
});
