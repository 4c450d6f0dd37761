import { durationMs } from '../duration';
import type { ValueType } from './setting';

/**
 * The types settings take. Text is read strictly: a number is digits (no `0x10`, `1e3`,
 * ` 2`, `Infinity`), a switch is 1/true/0/false, anything else is refused by name.
 */

const DIGITS = /^[0-9]{1,15}$/;
const DECIMAL = /^(?:[0-9]{1,15}(?:\.[0-9]{0,15})?|\.[0-9]{1,15})$/;

const unitWords = (unit: string | undefined): string => (unit ? ` of ${unit}` : '');

/** A whole number from `min` to `max`, e.g. wholeNumber(1, 64): "a whole number from 1 to 64". */
export function wholeNumber(min: number, max: number, unit?: string): ValueType<number> {
  const inRange = (n: number) => Number.isSafeInteger(n) && n >= min && n <= max;
  return {
    describe: `a whole number${unitWords(unit)} from ${min} to ${max}`,
    parse: (text) => (DIGITS.test(text) && inRange(Number(text)) ? Number(text) : undefined),
    fromJson: (value) => (typeof value === 'number' && inRange(value) ? value : undefined),
    show: String,
  };
}

/** A number from `min` (or above it, when `above`) to `max`, fractions allowed. */
export function decimal(range: { min: number; max: number; above?: boolean }, unit?: string): ValueType<number> {
  const inRange = (n: number) => Number.isFinite(n) && (range.above ? n > range.min : n >= range.min) && n <= range.max;
  return {
    describe: range.above
      ? `a number${unitWords(unit)} above ${range.min}, at most ${range.max}`
      : `a number${unitWords(unit)} from ${range.min} to ${range.max}`,
    parse: (text) => (DECIMAL.test(text) && inRange(Number(text)) ? Number(text) : undefined),
    fromJson: (value) => (typeof value === 'number' && inRange(value) ? value : undefined),
    show: String,
  };
}

/** Text: any (a path, a URL: what it names is checked where it is used), or text matching `pattern`. */
export function text(describe: string, pattern?: RegExp): ValueType<string> {
  const ok = (value: string) => value !== '' && (pattern === undefined || pattern.test(value));
  return {
    describe,
    parse: (value) => (ok(value) ? value : undefined),
    fromJson: (value) => (typeof value === 'string' && ok(value) ? value : undefined),
    show: (value) => value,
  };
}

/** One of a few words. */
export function choice<T extends string>(values: readonly T[]): ValueType<T> {
  const ok = (value: unknown): value is T => typeof value === 'string' && (values as readonly string[]).includes(value);
  return {
    describe: values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`,
    parse: (value) => (ok(value) ? value : undefined),
    fromJson: (value) => (ok(value) ? value : undefined),
    show: (value) => value,
  };
}

/** A duration as people write it (26h, 2d, 90m, 1d12h), kept as written; above `min`, at most `max` (both durations). */
export function duration(min: string, max: string): ValueType<string> {
  const [low, high] = [durationMs(min) ?? 0, durationMs(max) ?? 0];
  const ok = (value: unknown): value is string => {
    const ms = typeof value === 'string' ? durationMs(value) : undefined;
    return ms !== undefined && ms > low && ms <= high;
  };
  return {
    describe: `a duration (a number and a unit: s, m, h, d, w; e.g. 26h, 2d, 90m) above ${min}, at most ${max}`,
    parse: (value) => (ok(value) ? value : undefined),
    fromJson: (value) => (ok(value) ? value : undefined),
    show: (value) => value,
  };
}

/** A day, YYYY-MM-DD, that the calendar has. */
export function calendarDay(): ValueType<string> {
  const ok = (value: unknown): value is string => {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
    const time = Date.parse(`${value}T00:00:00Z`);
    return !Number.isNaN(time) && new Date(time).toISOString().startsWith(value);
  };
  return {
    describe: 'a day, YYYY-MM-DD',
    parse: (value) => (ok(value) ? value : undefined),
    fromJson: (value) => (ok(value) ? value : undefined),
    show: (value) => value,
  };
}

/** On or off: given as a flag it is on; in the environment 1 or true is on, 0 or false off. */
export function onOff(): ValueType<boolean> {
  const words: Record<string, boolean> = { '1': true, true: true, '0': false, false: false };
  return {
    describe: '1 or true (on), 0 or false (off)',
    parse: (value) => words[value.toLowerCase()],
    fromJson: (value) => (typeof value === 'boolean' ? value : undefined),
    show: (value) => (value ? 'on' : 'off'),
    isSwitch: true,
  };
}

/** Set (to anything but the empty text) is on, as NO_COLOR and ELT_DEBUG are read. */
export function presence(): ValueType<boolean> {
  return { describe: 'set to anything (on) or unset', parse: () => true, fromJson: () => undefined, show: (value) => (value ? 'set' : 'unset') };
}

/** A flag that may be given several times, each a name matching `pattern`. */
export function repeatedName(describe: string, pattern: RegExp): ValueType<readonly string[]> {
  return {
    describe,
    parse: (value) => (pattern.test(value) ? [value] : undefined),
    fromJson: () => undefined,
    show: (value) => value.join(', '),
    repeatable: true,
  };
}

/** `bucket=url[,bucket=url]`: endpoints for some buckets only. */
export function bucketEndpoints(): ValueType<Readonly<Record<string, string>>> {
  const BUCKET = /^[a-z0-9][a-z0-9.-]{1,62}$/;
  return {
    describe: 'bucket=url[,bucket=url], e.g. demo-lake=http://minio:9000',
    parse: (value) => {
      const endpoints: Record<string, string> = {};
      for (const pair of value.split(',').map((part) => part.trim())) {
        if (pair === '') continue;
        const at = pair.indexOf('=');
        const [bucket, url] = [pair.slice(0, at), pair.slice(at + 1)];
        if (at < 0 || !BUCKET.test(bucket) || !/^https?:\/\/\S+$/.test(url) || Object.hasOwn(endpoints, bucket)) return undefined;
        endpoints[bucket] = url;
      }
      return endpoints;
    },
    fromJson: () => undefined,
    show: (value) =>
      Object.entries(value)
        .map(([bucket, url]) => `${bucket}=${url}`)
        .join(','),
  };
}
