/**
 * The formats a lake object can be in, and how a file name says which:
 *   tsv-lake  the clickstream lake (*.tsv): five tab-separated columns, metrics.md's checks
 *   csv       RFC 4180 CSV with a header (*.csv): quoted fields, embedded newlines and quotes
 *   ndjson    one JSON object per line (*.ndjson, *.jsonl)
 * Each may be gzip-compressed (a further .gz).
 */
export type LakeFormat = 'tsv-lake' | 'csv' | 'ndjson';

export const LAKE_FORMATS: readonly LakeFormat[] = ['tsv-lake', 'csv', 'ndjson'];

const EXTENSIONS: Record<LakeFormat, string[]> = {
  'tsv-lake': ['.tsv'],
  csv: ['.csv'],
  ndjson: ['.ndjson', '.jsonl'],
};

/** The file name patterns of a format, for messages: `*.csv or *.csv.gz`. */
export function describeExtensions(format: LakeFormat): string {
  return EXTENSIONS[format].flatMap((extension) => [`*${extension}`, `*${extension}.gz`]).join(', ');
}

/** True when `name` is a file of `format` (plain or gzip). */
export function hasFormatExtension(name: string, format: LakeFormat): boolean {
  const plain = name.endsWith('.gz') ? name.slice(0, -3) : name;
  return EXTENSIONS[format].some((extension) => plain.endsWith(extension));
}

export function isLakeFormat(value: string): value is LakeFormat {
  return (LAKE_FORMATS as readonly string[]).includes(value);
}
