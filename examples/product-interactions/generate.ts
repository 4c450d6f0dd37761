/**
 * generate: writes the deterministic sample lake of the "product interactions" example,
 * one RFC 4180 CSV file per half-month delivery (`<yyyy-mm-dd>.csv`, named for the day it
 * was delivered; it holds the interactions of the half-month before that day):
 *
 *   interaction_id,user_id,product_id,action,timestamp
 *   ix-000001,u-017,p-008,view,2024-03-01T09:14:07+02:00
 *
 * The same options give the same bytes (seeded PRNG, no clock, no Math.random), so the
 * committed `data/` folder is exactly `generate.ts --out data` with the defaults.
 *
 * What is in there, and why (each quirk is something the models must get right):
 * - users browse in funnels: a view, sometimes an add_to_cart minutes later, sometimes a
 *   purchase, now and then a review hours later; actions are view, add_to_cart, purchase, review.
 * - every user writes timestamps in their own offset (Z, +00:00, +01:00, +02:00, -05:00,
 *   +05:30, -03:00): an interaction late on the last day of a month in -05:00 belongs to
 *   the next month in UTC.
 * - from the second file on, a few interactions of the file before are re-sent unchanged
 *   (same interaction_id, same values): the models keep each interaction once.
 * - two product ids need quotes: `"SKU 12,RED"` (a comma) and `"Mug ""XL"""` (quotes).
 * - malformed records: the second file holds one with four fields, the third one with six
 *   (an unquoted comma): the loader rejects them. The fourth holds one whose timestamp is no
 *   real time (hour 25): loaded, but staging marks it invalid and the models leave it out.
 *
 *   npx tsx examples/product-interactions/generate.ts --out <dir> [--months 3] [--rows-per-file 300] [--seed 7]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { type Rand, int, mulberry32, pick } from '../../generator/seeded-random';

export interface ProductInteractionsOptions {
  outDir: string;
  /** months of data from 2024-03-01, two files each; default 3 */
  months?: number;
  /** data records per file (re-sent and malformed ones included); default 300 */
  rowsPerFile?: number;
  /** default 7 */
  seed?: number;
}

export interface GeneratedFile {
  path: string;
  /** data records (the header not counted), re-sent and malformed ones included */
  records: number;
  /** records repeating an interaction of the file before */
  resent: number;
  /** records with the wrong number of fields (the loader rejects them) */
  malformed: number;
  /** records with a timestamp that is no real time (loaded, left out by the models) */
  invalidTimestamps: number;
}

export interface GeneratedSample {
  files: GeneratedFile[];
  /** distinct valid interactions over all files: the rows int_interactions must hold */
  interactions: number;
  /** valid interactions per action */
  actions: Record<Action, number>;
}

export const ACTIONS = ['view', 'add_to_cart', 'purchase', 'review'] as const;
export type Action = (typeof ACTIONS)[number];

export const HEADER = 'interaction_id,user_id,product_id,action,timestamp';
const START_YEAR = 2024;
const START_MONTH = 3; // March: the range crosses month ends of 31 and 30 days
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const USERS = 40;
const PRODUCTS = 24;
/** product ids a CSV writer must quote */
const QUOTED_PRODUCTS = ['SKU 12,RED', 'Mug "XL"'];
const OFFSETS_MINUTES = [0, 0, 60, 120, -300, 330, -180];
const RESEND_RATE = 0.03;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** ISO 8601 with the user's offset: `2024-03-01T09:14:07+02:00`, `...Z` for the Z writers. */
function isoWithOffset(utcMs: number, offsetMinutes: number, zulu: boolean): string {
  const local = new Date(utcMs + offsetMinutes * MINUTE_MS).toISOString().slice(0, 19);
  if (zulu) return `${local}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

/** One CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

interface User {
  id: string;
  offsetMinutes: number;
  zulu: boolean;
}

interface Interaction {
  userIndex: number;
  product: string;
  action: Action;
  at: number;
}

interface Row {
  id: string;
  user: User;
  product: string;
  action: Action;
  at: number;
}

function rowLine(row: Row): string {
  return [row.id, row.user.id, row.product, row.action, isoWithOffset(row.at, row.user.offsetMinutes, row.user.zulu)].map(csvField).join(',');
}

/** A user's visit: a view, maybe add_to_cart and purchase minutes later, maybe a review hours later. */
function visit(r: Rand, userIndex: number, product: string, start: number): Interaction[] {
  const steps: Interaction[] = [{ userIndex, product, action: 'view', at: start }];
  if (r() < 0.35) {
    const carted = start + int(r, 30, 15 * 60) * 1000;
    steps.push({ userIndex, product, action: 'add_to_cart', at: carted });
    if (r() < 0.55) {
      const bought = carted + int(r, 60, 40 * 60) * 1000;
      steps.push({ userIndex, product, action: 'purchase', at: bought });
      if (r() < 0.3) steps.push({ userIndex, product, action: 'review', at: bought + int(r, 2, 96) * HOUR_MS });
    }
  }
  return steps;
}

/** Half-month periods from START: [1st, 16th), [16th, 1st of next month), ... as UTC epoch ms. */
function periods(months: number): Array<{ from: number; to: number }> {
  const bounds: number[] = [];
  for (let m = 0; m <= months; m += 1) {
    bounds.push(Date.UTC(START_YEAR, START_MONTH - 1 + m, 1));
    if (m < months) bounds.push(Date.UTC(START_YEAR, START_MONTH - 1 + m, 16));
  }
  return bounds.slice(0, -1).map((from, index) => ({ from, to: bounds[index + 1] as number }));
}

/** Writes the sample lake into `outDir` (created if missing) and says what it holds. */
export function generateProductInteractions(options: ProductInteractionsOptions): GeneratedSample {
  const months = options.months ?? 3;
  const rowsPerFile = options.rowsPerFile ?? 300;
  const seed = options.seed ?? 7;
  if (!Number.isInteger(months) || months < 1) throw new Error(`months must be a positive integer, not ${months}`);
  if (!Number.isInteger(rowsPerFile) || rowsPerFile < 20) throw new Error(`rowsPerFile must be an integer of at least 20, not ${rowsPerFile}`);
  const r = mulberry32(seed);
  fs.mkdirSync(options.outDir, { recursive: true });

  const users: User[] = Array.from({ length: USERS }, (_, index) => ({
    id: `u-${pad(index + 1, 3)}`,
    offsetMinutes: pick(r, OFFSETS_MINUTES),
    zulu: r() < 0.25,
  }));
  const products = [...Array.from({ length: PRODUCTS }, (_, index) => `p-${pad(index + 1, 3)}`), ...QUOTED_PRODUCTS];
  // a few products sell far more than the others: the top-5 question has a clear answer
  const popular = products.slice(0, 6);

  let nextId = 1;
  const newId = (): string => `ix-${pad(nextId++, 6)}`;
  const files: GeneratedFile[] = [];
  const valid = new Map<string, Action>();
  let previousRows: Row[] = [];

  periods(months).forEach((period, fileIndex) => {
    const resentRows = fileIndex === 0 ? [] : previousRows.filter(() => r() < RESEND_RATE);
    const malformedCount = fileIndex === 1 || fileIndex === 2 ? 1 : 0;
    const invalidCount = fileIndex === 3 ? 1 : 0;
    const wanted = rowsPerFile - resentRows.length - malformedCount - invalidCount;

    const interactions: Interaction[] = [];
    while (interactions.length < wanted) {
      const userIndex = int(r, 0, USERS - 1);
      const product = r() < 0.5 ? pick(r, popular) : pick(r, products);
      const start = period.from + Math.floor((r() * (period.to - period.from)) / 1000) * 1000;
      // steps after the period's end are cut: a file holds only its own half-month
      interactions.push(...visit(r, userIndex, product, start).filter((step) => step.at < period.to));
    }
    interactions.length = wanted;
    // early on the 1st in UTC, written by a -05:00 user: reads as the month before, counts in the new one
    const lateWriter = users.findIndex((user) => user.offsetMinutes === -300 && !user.zulu);
    if (new Date(period.from).getUTCDate() === 1 && lateWriter >= 0) {
      interactions[0] = { userIndex: lateWriter, product: 'p-001', action: 'view', at: period.from + 90 * MINUTE_MS };
    }
    interactions.sort((a, b) => a.at - b.at || a.userIndex - b.userIndex);
    const rows: Row[] = interactions.map((step) => ({
      id: newId(),
      user: users[step.userIndex] as User,
      product: step.product,
      action: step.action,
      at: step.at,
    }));
    for (const row of rows) valid.set(row.id, row.action);

    const lines = [...resentRows.map(rowLine), ...rows.map(rowLine)];
    // malformed records go in the middle of the file, where a loader bug would hurt the rest
    const middle = Math.floor(lines.length / 2);
    if (fileIndex === 1) lines.splice(middle, 0, `${newId()},u-001,p-001,view`);
    if (fileIndex === 2) lines.splice(middle, 0, `${newId()},u-002,SKU 12,RED,purchase,${isoWithOffset(period.from + 3 * HOUR_MS, 0, false)}`);
    if (fileIndex === 3) {
      const day = new Date(period.from + 2 * 24 * HOUR_MS).toISOString().slice(0, 10);
      lines.splice(middle, 0, `${newId()},u-003,p-002,view,${day}T25:10:00+02:00`);
    }

    const delivered = new Date(period.to).toISOString().slice(0, 10);
    const file = path.join(options.outDir, `${delivered}.csv`);
    fs.writeFileSync(file, `${HEADER}\n${lines.join('\n')}\n`);
    files.push({ path: file, records: lines.length, resent: resentRows.length, malformed: malformedCount, invalidTimestamps: invalidCount });
    previousRows = rows;
  });

  const actions: Record<Action, number> = { view: 0, add_to_cart: 0, purchase: 0, review: 0 };
  for (const action of valid.values()) actions[action] += 1;
  return { files, interactions: valid.size, actions };
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      months: { type: 'string' },
      'rows-per-file': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.out) {
    process.stderr.write(
      'usage: npx tsx examples/product-interactions/generate.ts --out <dir> [--months 3] [--rows-per-file 300] [--seed 7]\n' +
        'example: npx tsx examples/product-interactions/generate.ts --out examples/product-interactions/data\n',
    );
    process.exit(values.help ? 0 : 2);
  }
  const sample = generateProductInteractions({
    outDir: values.out,
    months: values.months === undefined ? undefined : Number(values.months),
    rowsPerFile: values['rows-per-file'] === undefined ? undefined : Number(values['rows-per-file']),
    seed: values.seed === undefined ? undefined : Number(values.seed),
  });
  for (const file of sample.files) {
    process.stdout.write(
      `${file.path}: ${file.records} records (${file.resent} re-sent, ${file.malformed} malformed, ${file.invalidTimestamps} invalid timestamp)\n`,
    );
  }
  process.stdout.write(`${sample.interactions} distinct valid interactions\n`);
}
