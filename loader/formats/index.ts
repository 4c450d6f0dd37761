import { csv } from './csv';
import type { LakeFormatDefinition } from './format';
import { ndjson } from './ndjson';
import { tsvLake } from './tsv-lake';

/**
 * The formats a lake object can be in, one module each (its extensions, record
 * splitter and record parser), and how a file name says which:
 *   tsv-lake  the clickstream lake (*.tsv): five tab-separated columns, the checks of docs/contract.md
 *   csv       RFC 4180 CSV with a header (*.csv): quoted fields, embedded newlines and quotes
 *   ndjson    one JSON object per line (*.ndjson, *.jsonl)
 * Each may be gzip-compressed (a further .gz).
 */
export type LakeFormat = 'tsv-lake' | 'csv' | 'ndjson';

const FORMATS: Record<LakeFormat, LakeFormatDefinition> = { 'tsv-lake': tsvLake, csv, ndjson };

export const LAKE_FORMATS = Object.keys(FORMATS) as readonly LakeFormat[];

/** The format of a source that names none: the clickstream lake. */
export const DEFAULT_FORMAT: LakeFormat = 'tsv-lake';

export function isLakeFormat(value: string): value is LakeFormat {
  return Object.hasOwn(FORMATS, value);
}

/** The module of a format: its extensions, record splitter and record parser. */
export function formatDefinition(format: LakeFormat): LakeFormatDefinition {
  return FORMATS[format];
}

/** The file name patterns of a format, for messages: `*.tsv or *.tsv.gz`. */
export function describeExtensions(format: LakeFormat): string {
  return FORMATS[format].extensions
    .flatMap((extension) => [`*${extension}`, `*${extension}.gz`])
    .join(', ')
    .replace(/, ([^,]*)$/, ' or $1');
}

/** True when `name` ends in `.gz`, in any case (`x.tsv.GZ`). */
export function isGzipName(name: string): boolean {
  return name.toLowerCase().endsWith('.gz');
}

/**
 * True when `name` is a file of `format` (plain or gzip). The extension is matched
 * in any case, as the AWS CLI's and most tools' users expect: `DAY.TSV`, `x.Tsv.GZ`.
 */
export function hasFormatExtension(name: string, format: LakeFormat): boolean {
  const lower = name.toLowerCase();
  const plain = isGzipName(lower) ? lower.slice(0, -3) : lower;
  return FORMATS[format].extensions.some((extension) => plain.endsWith(extension));
}
