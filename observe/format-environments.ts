import { formatTextTable } from '../core/text-table';
import type { Environment } from '../transform/environments';
import { shown } from './terminal-safe';

/** An age as people read it: 45s, 12m, 3h, 2d. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.floor(seconds))}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** A size in bytes as people read it: 0 B, 8 kB, 1.5 MB (powers of 1024). */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** `elt env list` and the environments of `elt status`: name, owner, age, size, models; one line when there is none. */
export function formatEnvironments(environments: readonly Environment[]): string {
  if (environments.length === 0) return 'no environments (elt build --env <name> makes one)\n';
  const rows = environments.map((environment) => [
    environment.name,
    shown(environment.ownerLogin),
    formatAge(environment.ageSeconds),
    formatSize(environment.sizeBytes),
    Object.keys(environment.models).join(', '),
  ]);
  return formatTextTable(['environment', 'owner', 'age', 'size', 'models'], rows, { align: ['left', 'left', 'right', 'right', 'left'] });
}
