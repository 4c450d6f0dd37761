import { main } from '../../cli/main';

/** What one `elt` command did: its exit code and what it printed. */
export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `elt <argv>` in this jest process, with `env` as its environment: its exit code and
 * what it printed (stdout and stderr captured). For tests where the CLI's own process is
 * not what is tested: no tsx start per call.
 *
 * @example const { code, stderr } = await runInProcess(['status'], { ...process.env, DATABASE_URL: db.url });
 */
export async function runInProcess(argv: string[], env: NodeJS.ProcessEnv): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv, env);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
