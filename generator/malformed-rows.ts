/**
 * The malformed rows of the demo lake: one way per kind to break a good row so that
 * docs/contract.md rejects it (field count, timestamp, ATTRIBUTES). Every file holds
 * at least one of each kind.
 */

export interface RowParts {
  ts: string;
  date: string;
  rest: string /* session, event, user */;
  attrs: string;
}
export const MALFORMED: Readonly<Record<string, (p: RowParts) => string>> = {
  fields4: (p) => `${p.ts}\t${p.rest}`,
  fields6: (p) => `${p.ts}\t${p.rest}\t${p.attrs}\tandroid`,
  tsEmpty: (p) => `\t${p.rest}\t${p.attrs}`,
  tsDateOnly: (p) => `${p.date}\t${p.rest}\t${p.attrs}`,
  tsNow: (p) => `now\t${p.rest}\t${p.attrs}`,
  tsNoSuchDay: (p) => `${p.date.slice(0, 4)}-02-30${p.ts.slice(10)}\t${p.rest}\t${p.attrs}`,
  tsHour25: (p) => `${p.date} 25${p.ts.slice(13)}\t${p.rest}\t${p.attrs}`,
  tsNoOffset: (p) => `${p.ts.slice(0, 23)}\t${p.rest}\t${p.attrs}`,
  jsonTruncated: (p) => `${p.ts}\t${p.rest}\t${p.attrs.slice(0, Math.min(30, p.attrs.length - 2))}`,
  jsonArray: (p) => `${p.ts}\t${p.rest}\t[1,2]`,
  jsonString: (p) => `${p.ts}\t${p.rest}\t"text"`,
};
export const MALFORMED_KINDS = Object.keys(MALFORMED);
