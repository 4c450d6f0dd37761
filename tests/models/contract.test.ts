import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listLocalObjects } from '../../loader/sources/local-source';
import { loadObject } from '../../loader/load-object';
import { CONTRACT_BLOCKS, CONTRACT_PATH, parseContract, readContract } from '../reference/contract';
import { formatInstant, rowVerdict, timestampInstant } from '../reference/metrics-reference';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// docs/contract.md is the definition of every number: its machine-readable blocks
// are there, the reference follows its examples, and the real loader and database
// do what its examples say (loader and models are the system under test here; the
// reference never imports them).
const contract = readContract();
const markdown = readFileSync(CONTRACT_PATH, 'utf8');

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(() => db?.drop());

test.each(CONTRACT_BLOCKS)('docs/contract.md holds the block contract:%s that the reference reads', (name) => {
  expect(markdown).toMatch(new RegExp(`^\`\`\`json contract:${name}\\n`, 'm'));
  // without it, the contract does not parse: a removed rule is a failing test
  const without = markdown.replace(new RegExp(`^\`\`\`json contract:${name}\\n[\\s\\S]*?^\`\`\`$`, 'm'), '');
  expect(() => parseContract(without)).toThrow(`block contract:${name} is missing`);
});

test('the contract names the display and click events, the lake header and positive defaults', () => {
  expect(contract.vocabulary.display.length).toBeGreaterThan(0);
  expect(contract.vocabulary.click.length).toBeGreaterThan(0);
  expect(contract.vocabulary.display.filter((name) => contract.vocabulary.click.includes(name))).toEqual([]);
  expect(new Set(contract.lakeHeader).size).toBe(contract.lakeHeader.length);
  expect(contract.defaults.session_gap_minutes).toBeGreaterThan(0);
});

test('the reference accepts each accepted timestamp example at the contract instant and rejects each rejected one', () => {
  const accepted = Object.keys(contract.timestampExamples.accepted).map((text) => {
    const micros = timestampInstant(text);
    return [text, micros === null ? null : formatInstant(micros)];
  });
  expect(accepted).toEqual(Object.entries(contract.timestampExamples.accepted));
  expect(contract.timestampExamples.rejected.filter((text) => timestampInstant(text) !== null)).toEqual([]);
});

test('the reference gives each row example of the contract its verdict and rule', () => {
  const verdicts = contract.rowExamples.map((example) => [example.line, rowVerdict(example.line)]);
  expect(verdicts).toEqual(
    contract.rowExamples.map((example) => [
      example.line,
      example.verdict === 'rejected' ? { verdict: 'rejected', rule: example.rule } : { verdict: example.verdict },
    ]),
  );
});

test('a fresh database reports in the contract default time zone and splits sessions at its default gap', async () => {
  const { rows } = await db.pool.query<{ time_zone: string; gap_minutes: number }>(
    'select reporting_time_zone as time_zone, (extract(epoch from session_gap) / 60)::float8 as gap_minutes from elt.settings',
  );
  expect(rows).toEqual([{ time_zone: contract.defaults.time_zone, gap_minutes: contract.defaults.session_gap_minutes }]);
});

test('the loader accepts, rejects and skips exactly the row and timestamp examples of the contract, and Postgres stores each accepted timestamp at its contract instant', async () => {
  const timestampLine = (text: string): string => `${text}\ts1\tarticle_viewed\tu1\t{}`;
  const lines = [
    ...contract.rowExamples.map((example) => ({ line: example.line, verdict: example.verdict })),
    ...Object.keys(contract.timestampExamples.accepted).map((text) => ({ line: timestampLine(text), verdict: 'accepted' })),
    ...contract.timestampExamples.rejected.map((text) => ({ line: timestampLine(text), verdict: 'rejected' })),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'elt-contract-'));
  const path = join(dir, 'contract-examples.tsv');
  writeFileSync(path, `${[contract.lakeHeader.join('\t'), ...lines.map(({ line }) => line)].join('\n')}\n`);
  const [object] = listLocalObjects(path);
  const result = await loadObject(db.pool, object!, { maxRejectRatio: 1 });
  expect(result.status).toBe('loaded');

  const verdictOf = new Map<number, string>();
  const { rows: events } = await db.pool.query<{ line_no: number; ts: string; instant: string }>(
    `select line_no, event ->> 'TIMESTAMP' as ts,
            to_char((event ->> 'TIMESTAMP')::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as instant
       from raw.raw_events order by line_no`,
  );
  for (const event of events) verdictOf.set(event.line_no, 'accepted');
  const { rows: rejects } = await db.pool.query<{ line_no: number }>('select line_no from raw.rejected_rows order by line_no');
  for (const reject of rejects) verdictOf.set(reject.line_no, 'rejected');
  // line 1 is the header: example i is on line i + 2
  expect(lines.map(({ line }, index) => [line, verdictOf.get(index + 2) ?? 'skipped'])).toEqual(lines.map(({ line, verdict }) => [line, verdict]));

  const stored = Object.fromEntries(
    events.filter((event) => event.ts in contract.timestampExamples.accepted).map((event) => [event.ts, event.instant]),
  );
  expect(stored).toEqual(contract.timestampExamples.accepted);
});
