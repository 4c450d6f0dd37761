import { EltError, ExitCode } from './errors';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(?:\d+(?:\.\d+)?[smhdw])+$/;
/** Longer text is no duration anyone writes (and the pattern's work stays small). */
const MAX_DURATION_CHARS = 64;

/** Milliseconds of a duration as people write it, or undefined when `text` is none. */
export function durationMs(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (value.length > MAX_DURATION_CHARS || !DURATION.test(value)) return undefined;
  let ms = 0;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) ms += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/**
 * A duration as people write it: a number and a unit (`s`, `m` minutes, `h`, `d`, `w`),
 * or several (`1d12h`). Returns milliseconds; anything else is a usage error naming `what`.
 *
 *   parseDuration('26h') === 93_600_000
 */
export function parseDuration(text: string, what = 'duration'): number {
  const ms = durationMs(text);
  if (ms === undefined) {
    const shown = JSON.stringify(text.length > MAX_DURATION_CHARS ? `${text.slice(0, MAX_DURATION_CHARS)}...` : text);
    throw new EltError(`${what} ${shown} is not a duration: write a number and a unit (s, m, h, d, w), e.g. 26h, 2d, 90m`, ExitCode.usage);
  }
  return ms;
}
