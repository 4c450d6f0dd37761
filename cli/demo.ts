/**
 * `npm start`: the quick start. Generates the deterministic demo lake (the defaults
 * of `elt generate`: 5 days of realistic events, a few malformed rows included) into
 * .elt/demo-lake and runs `elt run` on it, on DATABASE_URL or else the embedded Postgres in .elt/.
 * Running it again regenerates the same bytes, so nothing new is loaded.
 */
import { join } from 'node:path';
import { describeError, EltError, ExitCode } from '../core/errors';
import { checkTrustedDir } from '../core/trusted-path';
import { main } from './main';
import { exitWhenWritten, watchOutputErrors } from './process-output';
import { generateLake } from '../generator/generate-lake';

async function demo(): Promise<number> {
  const outDir = join(process.cwd(), '.elt', 'demo-lake');
  checkTrustedDir(join(process.cwd(), '.elt')); // the lake goes in there: not into a .elt another account planted
  const files = await generateLake({ outDir }); // the defaults: the lake `elt generate` writes
  process.stderr.write(`elt: demo lake: ${files.length} files in ${outDir}\n`);
  return main(['run', '--source', outDir, ...process.argv.slice(2)]);
}

watchOutputErrors();
demo().then(
  (code) => exitWhenWritten(code),
  (err: unknown) => {
    process.stderr.write(`elt: error: demo failed: ${describeError(err)}\n`);
    exitWhenWritten(err instanceof EltError ? err.exitCode : ExitCode.unexpected);
  },
);
