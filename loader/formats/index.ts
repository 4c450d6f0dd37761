/**
 * The formats a lake object can be in, and how a file name says which:
 *   tsv-lake  the clickstream lake (*.tsv): five tab-separated columns, the checks of docs/contract.md
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
  return EXTENSIONS[format].some((extension) => plain.endsWith(extension));
}

export function isLakeFormat(value: string): value is LakeFormat {
  return (LAKE_FORMATS as readonly string[]).includes(value);
}
