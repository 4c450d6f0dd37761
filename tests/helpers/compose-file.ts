import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** A compose service as the tests need it: what runs, with which environment. */
export interface ComposeService {
  image?: string;
  build?: unknown;
  entrypoint?: string[] | string;
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  volumes?: string[];
  ports?: string[];
  user?: string;
}

export const REPO_ROOT = join(__dirname, '..', '..');

/**
 * Substitutes `${VAR}`, `${VAR:-default}` and `${VAR-default}` as docker-compose
 * does, from `env` (nested defaults included).
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  let previous: string;
  let current = text;
  do {
    previous = current;
    current = current.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^${}]*))?\}/g, (_match, name: string, operator?: string, fallback?: string) => {
      const value = env[name];
      if (operator === ':-') return value ? value : (fallback ?? '');
      if (operator === '-') return value !== undefined ? value : (fallback ?? '');
      return value ?? '';
    });
  } while (current !== previous);
  return current;
}

/** The services of docker-compose.yml, interpolated with `env` (by default: no variables set, the out-of-the-box run). */
export function readComposeServices(env: Record<string, string | undefined> = {}): Record<string, ComposeService> {
  const text = interpolate(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), env);
  return (parse(text) as { services: Record<string, ComposeService> }).services;
}

/** A service's environment as a plain object (compose allows a map or a list of NAME=value). */
export function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (!Array.isArray(environment)) return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value ?? '')]));
  return Object.fromEntries(environment.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

/** The image's ENTRYPOINT and CMD, read from the Dockerfile's last stage (exec form). */
export function dockerfileEntrypoint(): { entrypoint: string[]; cmd: string[] } {
  const lines = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').split('\n');
  const last = (instruction: string): string[] => {
    const line = [...lines].reverse().find((candidate) => candidate.startsWith(`${instruction} `));
    return line ? (JSON.parse(line.slice(instruction.length + 1)) as string[]) : [];
  };
  return { entrypoint: last('ENTRYPOINT'), cmd: last('CMD') };
}

/** What a service's container runs: its entrypoint (or the image's) followed by its command (or the image's CMD). */
export function containerArgv(service: ComposeService): string[] {
  const image = dockerfileEntrypoint();
  const list = (value: string[] | string | undefined): string[] | undefined =>
    value === undefined ? undefined : Array.isArray(value) ? value.map(String) : ['sh', '-c', value];
  return [...(list(service.entrypoint) ?? image.entrypoint), ...(list(service.command) ?? image.cmd)];
}
