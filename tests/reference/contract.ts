/**
 * The machine-readable rules of docs/contract.md: its fenced blocks marked
 * `contract:<name>` (JSON), parsed at test time, so that the reference
 * implementation follows the contract file, not the production code. Reads
 * nothing from models/ or loader/.
 *
 * @example
 *   const contract = readContract();
 *   contract.vocabulary.display; // ['top_news_card_viewed', 'my_news_card_viewed']
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONTRACT_PATH = join(__dirname, '..', '..', 'docs', 'contract.md');

export interface RowExample {
  /** one lake line, without its line ending */
  line: string;
  verdict: 'accepted' | 'rejected' | 'skipped';
  /** for a rejected line, the rule of the contract's section 2 that rejects it */
  rule?: 'fields' | 'timestamp' | 'attributes' | 'storable';
  note?: string;
}

export interface Contract {
  lakeHeader: string[];
  vocabulary: { display: string[]; click: string[] };
  defaults: { time_zone: string; session_gap_minutes: number };
  sessions: { new_session_when_gap: 'exceeds' | 'reaches' };
  titleAndCategory: { pick: 'latest'; ties: 'greatest' | 'least' };
  /** accepted TIMESTAMP text → its instant in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`; rejected texts */
  timestampExamples: { accepted: Record<string, string>; rejected: string[] };
  rowExamples: RowExample[];
}

/** Every block the reference and the contract tests read: removing one from docs/contract.md fails readContract(). */
export const CONTRACT_BLOCKS = [
  'lake-header',
  'vocabulary',
  'defaults',
  'sessions',
  'title-and-category',
  'timestamp-examples',
  'row-examples',
] as const;
export type ContractBlock = (typeof CONTRACT_BLOCKS)[number];

const FENCE = /^```json contract:([a-z-]+)\n([\s\S]*?)^```$/gm;

/** The JSON of each `contract:<name>` block of a markdown text; throws on a block that is not JSON or is there twice. */
export function contractBlocks(markdown: string): Map<string, unknown> {
  const blocks = new Map<string, unknown>();
  for (const [, name, body] of markdown.replaceAll('\r\n', '\n').matchAll(FENCE)) {
    if (name === undefined || body === undefined) continue;
    if (blocks.has(name)) throw new Error(`docs/contract.md: block contract:${name} appears twice`);
    try {
      blocks.set(name, JSON.parse(body));
    } catch (err) {
      throw new Error(`docs/contract.md: block contract:${name} is not JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
  }
  return blocks;
}

function check(condition: boolean, block: ContractBlock, what: string): void {
  if (!condition) throw new Error(`docs/contract.md: block contract:${block} ${what}`);
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses and checks the contract's blocks; throws naming the first block that is missing or malformed. */
export function parseContract(markdown: string): Contract {
  const blocks = contractBlocks(markdown);
  for (const name of CONTRACT_BLOCKS) check(blocks.has(name), name, 'is missing');
  const get = (name: ContractBlock): unknown => blocks.get(name);

  const lakeHeader = get('lake-header');
  check(isStringArray(lakeHeader) && lakeHeader.length > 0, 'lake-header', 'must list the column names');

  const vocabulary = get('vocabulary');
  check(
    isObject(vocabulary) && isStringArray(vocabulary.display) && isStringArray(vocabulary.click),
    'vocabulary',
    'must list "display" and "click" event names',
  );

  const defaults = get('defaults');
  check(
    isObject(defaults) &&
      typeof defaults.time_zone === 'string' &&
      typeof defaults.session_gap_minutes === 'number' &&
      defaults.session_gap_minutes > 0,
    'defaults',
    'must give "time_zone" and a positive "session_gap_minutes"',
  );

  const sessions = get('sessions');
  check(
    isObject(sessions) && ['exceeds', 'reaches'].includes(sessions.new_session_when_gap as string),
    'sessions',
    'must say "new_session_when_gap": "exceeds" or "reaches"',
  );

  const pick = get('title-and-category');
  check(
    isObject(pick) && pick.pick === 'latest' && ['greatest', 'least'].includes(pick.ties as string),
    'title-and-category',
    'must say "pick": "latest" and "ties": "greatest" or "least"',
  );

  const timestamps = get('timestamp-examples');
  check(
    isObject(timestamps) &&
      isObject(timestamps.accepted) &&
      Object.values(timestamps.accepted).every((v) => typeof v === 'string') &&
      isStringArray(timestamps.rejected),
    'timestamp-examples',
    'must map "accepted" texts to instants and list "rejected" texts',
  );

  const rows = get('row-examples');
  check(
    Array.isArray(rows) &&
      rows.every(
        (row) =>
          isObject(row) &&
          typeof row.line === 'string' &&
          ['accepted', 'rejected', 'skipped'].includes(row.verdict as string) &&
          (row.verdict !== 'rejected' || ['fields', 'timestamp', 'attributes', 'storable'].includes(row.rule as string)),
      ),
    'row-examples',
    'must list lines with a verdict (and the rule of each rejected one)',
  );

  return {
    lakeHeader: lakeHeader as string[],
    vocabulary: vocabulary as Contract['vocabulary'],
    defaults: defaults as Contract['defaults'],
    sessions: sessions as Contract['sessions'],
    titleAndCategory: pick as Contract['titleAndCategory'],
    timestampExamples: timestamps as Contract['timestampExamples'],
    rowExamples: rows as RowExample[],
  };
}

let cached: Contract | undefined;

/** docs/contract.md, parsed once per process. */
export function readContract(): Contract {
  cached ??= parseContract(readFileSync(CONTRACT_PATH, 'utf8'));
  return cached;
}
