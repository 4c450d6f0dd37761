import { resolveSetting } from '../../core/settings/resolve-settings';
import { writeFileAtomic } from '../../core/safe-write';
import { readTrustedFile, UntrustedPathError } from '../../core/trusted-path';

/**
 * The embedded server keeps its port from one start to the next, so that a connection
 * saved in a BI tool keeps working: the first start takes a free port (or the one
 * ELT_EMBEDDED_PORT sets) and remembers it in `.elt/port`; later starts use it.
 */

export const LOWEST_PORT = 1024;
export const HIGHEST_PORT = 65535;

/** A port number we may listen on without privileges, or undefined. */
function portNumber(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= LOWEST_PORT && port <= HIGHEST_PORT ? port : undefined;
}

/** ELT_EMBEDDED_PORT, as declared in core/settings: undefined when unset or empty; else a port of 1024 to 65535, or a one-line error (exit code 2). */
export function embeddedPortSetting(value: string | undefined): number | undefined {
  return resolveSetting('embeddedPort', { env: { ELT_EMBEDDED_PORT: value } });
}

/** The port remembered for the cluster, if any (a file that holds no port counts for none; one another account could have written is refused). */
export function rememberedPort(path: string): number | undefined {
  try {
    return portNumber(readTrustedFile(path, { maxBytes: 64 }).trim());
  } catch (err) {
    if (err instanceof UntrustedPathError) throw err;
    return undefined;
  }
}

export function rememberPort(path: string, port: number): void {
  writeFileAtomic(path, `${port}\n`, 0o600);
}
